"""Header names in the events, over a real gateway: REST payload 1.0 (the Lambda-proxy event and the REST
REQUEST authorizer's) keys `headers`/`multiValueHeaders` by the client's spelling, as AWS does (reference
7.1); HTTP APIs lower-case them in both payload versions (7.2, and AWS's http-api-develop-integrations-lambda
page). The native server keeps the spelling."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_proxy import casing_auth  # the module object the gateway imports for "lambda_proxy.casing_auth:..."
from support import RunningGateway, run_gateway

HERE = Path(__file__).parent

REST = """
apis:
  shop:
    flavour: rest
    api_id: shop123
    stage: prod
    authorizers:
      gate: {type: lambda, kind: request, function: "lambda_proxy.casing_auth:rest",
             identity_sources: [header.Authorization], result_ttl: 0}
    routes:
      - {route: "GET /echo/{id}", authorizer: gate, integration: {lambda: "handlers:echo"}}
      - {route: "GET /open", public: true, integration: {lambda: "handlers:echo"}}
"""

HTTP = """
apis:
  shop:
    flavour: http
    api_id: shop123
    routes:
      - {route: "GET /echo/{id}", public: true, integration: {lambda: "handlers:echo"}}
      - {route: "GET /v1/echo/{id}", public: true,
         integration: {type: lambda, handler: "handlers:echo", payload_format_version: "1.0"}}
"""

# (name as sent, value): one name in two spellings, a forged identity header, a hop-by-hop header, a header
# the Connection header names, and an X-Forwarded-For from an untrusted peer (dropped by the server)
SENT = [
    ("Host", "api.example.com"),
    ("Authorization", "Bearer mixed-case"),
    ("X-Custom-Header", "abc"),
    ("x-MiXeD", "one"),
    ("X-Mixed", "two"),
    ("CONTENT-type", "text/plain"),
    ("X-Gatepost-Principal-Id", "forged"),
    ("Keep-Alive", "timeout=5"),
    ("Connection", "keep-alive, X-Drop-Me"),
    ("X-Drop-Me", "1"),
    ("X-Forwarded-For", "198.51.100.7"),
]
LEFT_OUT = {"x-gatepost-principal-id", "keep-alive", "connection", "x-drop-me"}
AWS_ADDED = {"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"}  # set by the gateway


def client_part(headers: dict[str, Any]) -> dict[str, Any]:
    """The event's headers without the ones API Gateway adds itself (checked on their own)."""
    return {k: v for k, v in headers.items() if k.lower() not in AWS_ADDED}


def send(gw: RunningGateway, path: str, headers: list[tuple[str, str]] = SENT) -> tuple[int, Any]:
    """One request with exactly these header lines (http.client keeps names and repeats as given)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        return r.status, json.loads(body) if r.status == 200 else body
    finally:
        conn.close()


@pytest.fixture(scope="module")
def rest() -> Iterator[RunningGateway]:
    with run_gateway(REST, config_dir=HERE) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _events() -> None:
    casing_auth.EVENTS.clear()


def test_rest_proxy_event_keeps_the_clients_spelling(rest: RunningGateway) -> None:
    status, out = send(rest, "/echo/7")
    assert status == 200, out
    event = out["event"]
    assert client_part(event["headers"]) == {"Host": "api.example.com", "Authorization": "Bearer mixed-case",
                                             "X-Custom-Header": "abc", "x-MiXeD": "two", "CONTENT-type": "text/plain"}
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"  # the peer, as the gateway saw it
    assert (event["headers"]["X-Forwarded-Proto"], event["headers"]["X-Forwarded-Port"]) == ("http", "80")
    assert client_part(event["multiValueHeaders"]) == {
        "Host": ["api.example.com"], "Authorization": ["Bearer mixed-case"], "X-Custom-Header": ["abc"],
        "x-MiXeD": ["one", "two"], "CONTENT-type": ["text/plain"]}
    assert event["requestContext"]["authorizer"]["principalId"] == "caller-1"


def test_rest_request_authorizer_event_keeps_the_clients_spelling(rest: RunningGateway) -> None:
    status, _ = send(rest, "/echo/8")
    assert status == 200
    [event] = casing_auth.EVENTS
    assert event["type"] == "REQUEST"
    assert event["headers"]["Authorization"] == "Bearer mixed-case" and "authorization" not in event["headers"]
    assert event["headers"]["X-Custom-Header"] == "abc" and event["headers"]["x-MiXeD"] == "two"
    assert event["multiValueHeaders"]["x-MiXeD"] == ["one", "two"]
    # the client's X-Forwarded-For is not passed on: the gateway's own names the peer
    assert [v for k, v in event["headers"].items() if k.lower() == "x-forwarded-for"] == ["127.0.0.1"]
    # the gateway read the identity source by name, whatever its spelling: a wrong token is still refused
    status, _ = send(rest, "/echo/8", [("Host", "h"), ("AUTHORIZATION", "Bearer other")])
    assert status == 401  # the function raised "Unauthorized"
    assert client_part(casing_auth.EVENTS[-1]["headers"]) == {"Host": "h", "AUTHORIZATION": "Bearer other"}


def test_identity_and_hop_by_hop_headers_stay_out_whatever_their_spelling(rest: RunningGateway) -> None:
    status, out = send(rest, "/open")
    assert status == 200, out
    for part in ("headers", "multiValueHeaders"):
        names = {k.lower() for k in out["event"][part]}
        assert names.isdisjoint(LEFT_OUT), names & LEFT_OUT
        assert "x-custom-header" in names and names >= AWS_ADDED
        assert "198.51.100.7" not in str(out["event"][part])  # the client's X-Forwarded-For is not trusted


def test_rest_single_header_keeps_its_spelling(rest: RunningGateway) -> None:
    status, out = send(rest, "/open", [("Host", "h")])
    assert status == 200 and client_part(out["event"]["headers"]) == {"Host": "h"}


def test_http_api_events_stay_lower_case() -> None:
    with run_gateway(HTTP, config_dir=HERE) as gw:
        status, v2 = send(gw, "/echo/1")
        assert status == 200, v2
        assert client_part(v2["event"]["headers"]) == {"host": "api.example.com", "authorization": "Bearer mixed-case",
                                          "x-custom-header": "abc", "x-mixed": "one,two", "content-type": "text/plain"}
        status, v1 = send(gw, "/v1/echo/1")
        assert status == 200, v1
        e1 = v1["event"]
        assert e1["version"] == "1.0"
        assert e1["headers"]["x-mixed"] == "two" and e1["multiValueHeaders"]["x-mixed"] == ["one", "two"]
        assert all(k == k.lower() for k in [*e1["headers"], *e1["multiValueHeaders"]])
