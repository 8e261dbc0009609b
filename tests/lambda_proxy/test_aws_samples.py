"""Our events against AWS's published sample events (aws_samples/, see its README), key by key and value by
value, and validated with Powertools' parser models.

Only values that must differ are not compared (MUST_DIFFER: ids, times, addresses, trace ids); their format
is checked instead. Keys only one side has are listed with their reason (ONE_SIDED); anything else that
differs fails the test with its JSON path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel, APIGatewayProxyEventV2Model

from gatepost.authorizers.lambda_events import request_event
from gatepost.bootstrap import build_gateway
from gatepost.decision import PUBLIC
from gatepost.gateway import Gateway, RouteMatch
from gatepost.integrations.events import http_v2_event, rest_v1_event
from gatepost.pipeline import Exchange, route
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog

SAMPLES = Path(__file__).parent / "aws_samples"

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CLF = r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000"
IP = r"\d{1,3}(\.\d{1,3}){3}"
TRACE = r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}"
# path -> (why it must differ, the format it must have)
MUST_DIFFER: dict[str, tuple[str, str]] = {
    "$.requestContext.requestId": ("new per request", UUID + "|[A-Za-z0-9+/]{15}="),
    "$.requestContext.extendedRequestId": ("new per request", r"[A-Za-z0-9+/]{15}="),
    "$.requestContext.requestTime": ("when the request came", CLF),
    "$.requestContext.time": ("when the request came", CLF),
    "$.requestContext.requestTimeEpoch": ("when the request came", r"\d{13}"),
    "$.requestContext.timeEpoch": ("when the request came", r"\d{13}"),
    "$.requestContext.resourceId": ("AWS's id of the resource", r"[a-z0-9]{6}"),
    "$.requestContext.identity.sourceIp": ("the client's address", IP),
    "$.requestContext.http.sourceIp": ("the client's address", IP),
}
for _name in ("X-Forwarded-For", "x-forwarded-for"):
    for _map in ("headers", "multiValueHeaders"):
        MUST_DIFFER[f"$.{_map}.{_name}"] = ("the client's address", IP)
for _name in ("X-Amzn-Trace-Id", "x-amzn-trace-id"):
    for _map in ("headers", "multiValueHeaders"):
        MUST_DIFFER[f"$.{_map}.{_name}"] = ("a new trace per request", TRACE)

# keys one side has: path -> the reason
ONE_SIDED: dict[str, str] = {
    "$.requestContext.identity.apiKey": "ours: null unless the route checked a key (reference 7.1)",
    "$.requestContext.identity.apiKeyId": "ours: null unless the route checked a key (reference 7.1)",
}


def _gateway(text: str) -> Gateway:
    return build_gateway(text=text, catalog=MemoryCatalog())


def _request(method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes) -> GatewayRequest:
    return GatewayRequest(method=method, path=path, query_string=query,
                          headers=tuple((k.lower(), v) for k, v in headers),
                          raw_headers=tuple((k.encode(), v.encode()) for k, v in headers), body=body,
                          source_ip="198.51.100.7", scheme="https", request_id="0f8fad5b-d9cb-469f-a165-70867728950e",
                          received_at=1_767_225_600.5)


def _match(gw: Gateway, req: GatewayRequest) -> RouteMatch:
    found = gw.find_api(req.host, req.path)
    assert found is not None
    api, path = found
    return route(api, path, req, Exchange(req))


def _compare(aws: Any, ours: Any, where: str, problems: list[str]) -> None:
    if where in MUST_DIFFER:
        single = ours[0] if isinstance(ours, list) and len(ours) == 1 else ours
        if not re.fullmatch(MUST_DIFFER[where][1], str(single)):
            problems.append(f"{where}: {single!r} is not in AWS's format")
        return
    if isinstance(aws, dict) and isinstance(ours, dict):
        for key in sorted(aws.keys() | ours.keys()):
            path = f"{where}.{key}"
            if key not in ours or key not in aws:
                if path not in ONE_SIDED:
                    problems.append(f"{path}: {'missing from ours' if key not in ours else 'ours only'}")
                continue
            _compare(aws[key], ours[key], path, problems)
        return
    if aws != ours or type(aws) is not type(ours):
        problems.append(f"{where}: AWS {aws!r}, ours {ours!r}")


def _check(sample: str, ours: dict[str, Any]) -> None:
    problems: list[str] = []
    _compare(json.loads((SAMPLES / sample).read_text()), ours, "$", problems)
    assert problems == [], "\n".join(problems)


def test_rest_proxy_event_is_aws_sample() -> None:
    gw = _gateway("""
apis:
  samples:
    flavour: rest
    api_id: "1234567890"
    stage: prod
    stage_variables: {baz: qux}
    routes:
      - {route: "ANY /{proxy+}", public: true}
    integration: {mock: {status: 200}}
""")
    req = _request("POST", "/path/to/resource", "foo=bar", [
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8"),
        ("Accept-Encoding", "gzip, deflate, sdch"), ("Accept-Language", "en-US,en;q=0.8"),
        ("Cache-Control", "max-age=0"), ("Content-Type", "application/json"),
        ("Host", "1234567890.execute-api.us-east-1.amazonaws.com"), ("Upgrade-Insecure-Requests", "1"),
        ("User-Agent", "Custom User Agent String")], b'{"test":"body"}')
    ours = rest_v1_event(req, _match(gw, req), PUBLIC)
    _check("rest_proxy.json", ours)
    APIGatewayProxyEventModel.model_validate(ours)


def _http_gateway() -> Gateway:
    return _gateway("""
apis:
  samples:
    flavour: http
    api_id: api-id
    stage_variables: {stageVariable1: value1, stageVariable2: value2}
    authorizers:
      merchants: {type: lambda, function: "handlers:echo", identity_sources: [header.authorization,
                  query.parameter2], payload_format_version: "2.0", result_ttl: 0}
    routes:
      - {route: "POST /my/{parameter1}", public: true}
      - {route: "GET /merchants/{parameter1}", authorizer: merchants}
    integration: {mock: {status: 200}}
""".replace("handlers:echo", "lambda_proxy.handlers:echo"))


QUERY = "parameter1=value1&parameter1=value2&parameter2=value"


def test_http_proxy_v2_event_is_aws_sample() -> None:
    req = _request("POST", "/my/path", QUERY, [
        ("Content-Type", "text/plain"), ("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2"),
        ("Cookie", "cookie1; cookie2"), ("Host", "id.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "agent")],
        b"Hello from Lambda")
    gw = _http_gateway()
    ours = http_v2_event(req, _match(gw, req), PUBLIC)
    _check("http_proxy_v2.json", ours)
    APIGatewayProxyEventV2Model.model_validate(ours)


def test_http_authorizer_v2_event_is_aws_sample() -> None:
    req = _request("GET", "/merchants/value1", QUERY, [
        ("Authorization", "user1"), ("Header1", "value1"), ("Header2", "value2"), ("Cookie", "cookie1; cookie2"),
        ("Host", "id.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "agent")], b"")
    gw = _http_gateway()
    match = _match(gw, req)
    ours = request_event(req, match, "2.0", ("user1", "value"))
    _check("http_authorizer_v2.json", ours)


@pytest.mark.parametrize("golden", sorted((Path(__file__).parent / "golden").glob("*.json")), ids=lambda p: p.stem)
def test_every_golden_event_validates_with_powertools_models(golden: Path) -> None:
    event = json.loads(golden.read_text())
    model = APIGatewayProxyEventV2Model if event.get("version") == "2.0" else APIGatewayProxyEventModel
    model.model_validate(event)



@pytest.mark.parametrize("flavour", ["rest", "http"])
def test_a_custom_domain_base_path_stays_in_the_path_not_in_the_resource(flavour: str) -> None:
    gw = _gateway(f"""
apis:
  shop:
    flavour: {flavour}
    base_path: /shop
    routes:
      - {{route: "GET /items/{{id}}", public: true}}
    integration: {{mock: {{status: 200}}}}
""")
    req = _request("GET", "/shop/items/7", "", [("Host", "api.example.com")], b"")
    match = _match(gw, req)
    if flavour == "rest":
        event = rest_v1_event(req, match, PUBLIC)
        assert (event["path"], event["resource"]) == ("/shop/items/7", "/items/{id}")
        assert event["requestContext"]["resourcePath"] == "/items/{id}"
    else:
        event = http_v2_event(req, match, PUBLIC)
        assert (event["rawPath"], event["routeKey"]) == ("/shop/items/7", "GET /items/{id}")
        assert event["requestContext"]["http"]["path"] == "/shop/items/7"


def test_rest_request_authorizer_event_is_aws_sample() -> None:
    gw = _gateway("""
apis:
  samples:
    flavour: rest
    api_id: abcdef123
    stage: test
    stage_variables: {StageVar1: stageValue1}
    authorizers:
      request: {type: lambda, kind: request, function: "lambda_proxy.handlers:echo",
                identity_sources: [header.HeaderAuth1, query.QueryString1], result_ttl: 0}
    routes:
      - {route: "GET /request", authorizer: request}
    integration: {mock: {status: 200}}
""")
    req = _request("GET", "/request", "QueryString1=queryValue1", [
        ("X-AMZ-Date", "20170718T062915Z"), ("Accept", "*/*"), ("HeaderAuth1", "headerValue1"),
        ("Host", "abcdef123.execute-api.us-east-1.amazonaws.com"), ("User-Agent", "curl/7.58.0")], b"")
    ours = request_event(req, _match(gw, req), None, ("headerValue1", "queryValue1"))
    _check("rest_authorizer_request.json", ours)
