"""The events the authorizer function receives: golden files of each shape (REST TOKEN, REST REQUEST,
HTTP API 1.0 and 2.0), checked against the keys AWS documents, and one event taken over real HTTP.

Regenerate the golden files after a deliberate change: GATEPOST_UPDATE_GOLDEN=1 pytest tests/lambda_authorizer.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from lakit import HERE, authorizer, gateway, handler_module, http_config, match_for, request, rest_config

from support import run_gateway

GOLDEN = HERE / "golden"
REQUEST_HEADERS = [("Authorization", "Bearer abc.def"), ("X-Tenant", "t-1"), ("Accept", "a/b"),
                   ("accept", "c/d"), ("Cookie", "session=s1; theme=dark")]  # as a client spells them


def check_golden(name: str, event: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(event, indent=2, sort_keys=False) + "\n"
    if os.environ.get("GATEPOST_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert json.loads(path.read_text()) == event
    assert list(json.loads(path.read_text())) == list(event), "key order differs from the golden file"


async def captured_event(config: str, method: str, path: str, query: str = "") -> dict[str, Any]:
    gw = gateway(config)
    await gw.start()
    try:
        req = request(method, path, headers=REQUEST_HEADERS, query=query)
        decision = await authorizer(gw).authorize(req, match_for(gw, req))
        assert decision.allowed, decision.reason
        events = handler_module(gw).EVENTS
        assert len(events) == 1
        return dict(events[0])
    finally:
        await gw.close()


async def test_rest_token_event_has_exactly_three_keys() -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "behaviours:handler"}')
    event = await captured_event(cfg, "GET", "/pets/42")
    check_golden("rest_token", event)
    assert event == {"type": "TOKEN", "authorizationToken": "Bearer abc.def",  # the whole value, Bearer and all
                     "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/pets/42"}


async def test_rest_request_event_mirrors_the_proxy_event() -> None:
    cfg = rest_config('{type: lambda, kind: request, function: "behaviours:handler", '
                      'identity_sources: [header.authorization, query.region]}')
    event = await captured_event(cfg, "DELETE", "/pets/42", query="region=eu&region=us&x=1")
    check_golden("rest_request", event)
    assert list(event)[:2] == ["type", "methodArn"]
    assert event["methodArn"].endswith("/prod/DELETE/pets/42")  # the real verb and path, never the template
    assert event["resource"] == "/pets/{id}" and event["path"] == "/pets/42"
    assert event["pathParameters"] == {"id": "42"}
    assert event["multiValueHeaders"]["Accept"] == ["a/b", "c/d"]  # the client's (first) spelling
    assert event["headers"]["Accept"] == "c/d"  # REST single-value maps keep the last value
    assert event["headers"]["Authorization"] == "Bearer abc.def" and "authorization" not in event["headers"]
    assert event["queryStringParameters"] == {"region": "us", "x": "1"}
    assert event["multiValueQueryStringParameters"]["region"] == ["eu", "us"]
    assert event["stageVariables"] == {"tenantHeader": "x-tenant"}
    assert event["requestContext"]["stage"] == "prod" and "authorizer" not in event["requestContext"]
    assert "body" not in event and "version" not in event


async def test_http_payload_1_event_joins_identity_values() -> None:
    cfg = http_config('{type: lambda, function: "behaviours:handler", payload_format_version: "1.0", '
                      'identity_sources: ["$request.header.Authorization", "$request.querystring.region"]}')
    event = await captured_event(cfg, "GET", "/pets/42", query="region=eu&region=us")
    check_golden("http_v1", event)
    assert event["version"] == "1.0" and event["type"] == "REQUEST"
    assert event["identitySource"] == event["authorizationToken"] == "Bearer abc.def,eu,us"
    assert event["methodArn"] == "arn:aws:execute-api:eu-west-1:123456789012:h7t7p9/$default/GET/pets/42"
    assert "multiValueHeaders" in event and "body" not in event


async def test_http_payload_2_event() -> None:
    cfg = http_config('{type: lambda, function: "behaviours:handler", '
                      'identity_sources: ["$request.header.Authorization", "$context.routeKey"]}')
    event = await captured_event(cfg, "GET", "/pets/42", query="region=eu&region=us")
    check_golden("http_v2", event)
    assert list(event)[:5] == ["version", "type", "routeArn", "identitySource", "routeKey"]
    assert event["version"] == "2.0" and event["type"] == "REQUEST"
    assert event["routeArn"] == "arn:aws:execute-api:eu-west-1:123456789012:h7t7p9/$default/GET/pets/42"
    assert event["identitySource"] == ["Bearer abc.def", "GET /pets/{id}"]
    assert event["routeKey"] == "GET /pets/{id}" and event["rawPath"] == "/pets/42"
    assert event["cookies"] == ["session=s1", "theme=dark"]
    assert event["queryStringParameters"] == {"region": "eu,us"}
    assert event["headers"]["accept"] == "a/b,c/d"
    assert "multiValueHeaders" not in event and "body" not in event and "methodArn" not in event


@pytest.mark.parametrize("flavour", ["rest", "http"])
def test_event_over_real_http(flavour: str, upstream: Any) -> None:
    """The same events when the request comes through the server (real headers, ARNs, identity)."""
    if flavour == "rest":
        cfg = rest_config('{type: lambda, kind: token, function: "behaviours:handler"}', upstream=upstream.url)
    else:
        cfg = http_config('{type: lambda, function: "behaviours:handler", identity_sources: [header.authorization]}',
                          upstream=upstream.url)
    with run_gateway(cfg, config_dir=HERE / "authorizers") as gw:
        r = gw.get("/pets/7?q=1", headers={"Authorization": "Bearer real"})
        assert r.status_code == 200, r.text
        event = handler_module(gw).EVENTS[0]
    if flavour == "rest":
        assert event == {"type": "TOKEN", "authorizationToken": "Bearer real",
                         "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/pets/7"}
    else:
        assert event["identitySource"] == ["Bearer real"]
        assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
        assert event["rawQueryString"] == "q=1"
