"""Gateway responses per flavour (reference sections 3, 6, 10) and per-API overrides."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatepost.errors import GatewayError, ResponseType
from gatepost.request import GatewayRequest
from gatepost.responses import GatewayResponses, ResponseOverride
from support import RunningGateway, run_gateway

CONFIG = """
apis:
  restapi:
    flavour: rest
    base_path: /r
    routes:
      - {route: "GET /pets", public: true}
    integration: {mock: {status: 200, body: {ok: true}}}
  httpapi:
    flavour: http
    base_path: /h
    routes:
      - {route: "GET /pets", public: true}
    integration: {mock: {status: 200, body: {ok: true}}}
  custom:
    flavour: rest
    base_path: /c
    stage: live
    stage_variables: {team: payments}
    gateway_responses:
      MISSING_AUTHENTICATION_TOKEN:
        status: 404
        headers: {x-stage: "'live'", x-echo: method.request.header.x-client}
        body: >-
          {"error": $context.error.messageString, "type": "$context.error.responseType",
          "team": "$stageVariables.team"}
      DEFAULT_4XX:
        headers: {Access-Control-Allow-Origin: "'*'"}
    routes:
      - {route: "GET /pets", public: true}
    integration: {mock: {status: 200}}
"""


@pytest.fixture(scope="module")
def gw() -> Iterator[RunningGateway]:
    with run_gateway(CONFIG) as g:
        yield g


def test_rest_unknown_route_is_403_missing_authentication_token(gw: RunningGateway) -> None:
    for method, path in (("GET", "/r/nope"), ("POST", "/r/pets"), ("DELETE", "/r/pets")):
        r = gw.request(method, path)
        assert r.status_code == 403
        assert r.json() == {"message": "Missing Authentication Token"}
        assert r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert r.headers["x-amzn-RequestId"]


def test_http_unknown_route_is_404_not_found(gw: RunningGateway) -> None:
    r = gw.post("/h/pets")
    assert r.status_code == 404
    assert r.json() == {"message": "Not Found"}


def test_no_api_at_that_path(gw: RunningGateway) -> None:
    r = gw.get("/elsewhere")
    assert r.status_code == 403
    assert r.json() == {"message": "Missing Authentication Token"}


def test_matched_route_reaches_integration(gw: RunningGateway) -> None:
    assert gw.get("/r/pets").json() == {"ok": True}
    assert gw.get("/h/pets").json() == {"ok": True}


def test_override_status_headers_and_template(gw: RunningGateway) -> None:
    r = gw.get("/c/nope", headers={"x-client": "abc"})
    assert r.status_code == 404
    assert r.headers["x-stage"] == "live"
    assert r.headers["x-echo"] == "abc"
    assert "access-control-allow-origin" not in r.headers  # an explicit type wins over DEFAULT_4XX, as on AWS
    assert r.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN",
                        "team": "payments"}


def test_default_4xx_applies_to_unconfigured_4xx_types() -> None:
    responses = GatewayResponses("rest", "prod", {}, {
        "DEFAULT_4XX": ResponseOverride(None, (("Access-Control-Allow-Origin", "'*'"),), None),
        "DEFAULT_5XX": ResponseOverride(503, (), '{"down": true}'),
    })
    req = GatewayRequest(method="GET", path="/", request_id="rid-1")
    unauthorized = responses.render(GatewayError(ResponseType.UNAUTHORIZED, "t"), req)
    assert unauthorized.status == 401
    assert unauthorized.header("access-control-allow-origin") == "*"
    assert unauthorized.body == b'{"message":"Unauthorized"}'
    failure = responses.render(GatewayError(ResponseType.AUTHORIZER_CONFIGURATION_ERROR, "t"), req)
    assert failure.status == 503 and failure.body == b'{"down": true}'


@pytest.mark.parametrize(
    ("type_", "rest", "http"),
    [
        (ResponseType.UNAUTHORIZED, (401, {"message": "Unauthorized"}), (401, {"message": "Unauthorized"})),
        (ResponseType.ACCESS_DENIED, (403, {"Message": "User is not authorized to access this resource"}),
         (403, {"Message": "Forbidden"})),
        (ResponseType.AUTHORIZER_CONFIGURATION_ERROR, (500, {"message": None}),
         (500, {"message": "Internal Server Error"})),
        (ResponseType.INTEGRATION_TIMEOUT, (504, {"message": "Endpoint request timed out"}),
         (503, {"message": "Service Unavailable"})),
        (ResponseType.THROTTLED, (429, {"message": "Too Many Requests"}), (429, {"message": "Too Many Requests"})),
        (ResponseType.QUOTA_EXCEEDED, (429, {"message": "Limit Exceeded"}), (429, {"message": "Limit Exceeded"})),
        (ResponseType.INVALID_API_KEY, (403, {"message": "Forbidden"}), (403, {"message": "Forbidden"})),
    ],
)
def test_defaults_per_flavour(type_: ResponseType, rest: tuple[int, dict[str, object]],
                              http: tuple[int, dict[str, object]]) -> None:
    import orjson

    key = "Message" if type_ is ResponseType.ACCESS_DENIED else "message"
    for flavour, (status, body) in (("rest", rest), ("http", http)):
        resp = GatewayResponses(flavour, "prod", {}).render(GatewayError(type_, "t", body_key=key), None)
        assert resp.status == status, flavour
        assert orjson.loads(resp.body) == body, flavour


def test_raiser_message_is_kept_on_rest_but_fixed_types_ignore_it_on_http() -> None:
    err = GatewayError(ResponseType.UNAUTHORIZED, "user_pool.expired", "The incoming token has expired")
    assert GatewayResponses("rest", "p", {}).render(err, None).body == b'{"message":"The incoming token has expired"}'
    assert GatewayResponses("http", "p", {}).render(err, None).body == b'{"message":"Unauthorized"}'
