"""What the client gets for each authorizer outcome, per flavour (reference 1.5 and 1.6), over real HTTP.

The token names the behaviour of tests/lambda_authorizer/authorizers/behaviours.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lakit import AUTHORIZERS, authorizer, handler_module, http_config, rest_config

from support import RunningGateway, Upstream, run_gateway

REST_AUTH = '{type: lambda, kind: token, function: "behaviours:handler", result_ttl: 0}'
HTTP_AUTH = '{type: lambda, function: "behaviours:handler", identity_sources: [header.authorization], result_ttl: 0}'
NULL_MESSAGE = b'{"message":null}'


@pytest.fixture
def rest(upstream: Upstream) -> Iterator[RunningGateway]:
    with run_gateway(rest_config(REST_AUTH, upstream=upstream.url), config_dir=AUTHORIZERS) as gw:
        yield gw


@pytest.fixture
def http(upstream: Upstream) -> Iterator[RunningGateway]:
    with run_gateway(http_config(HTTP_AUTH, upstream=upstream.url), config_dir=AUTHORIZERS) as gw:
        yield gw


def call(gw: RunningGateway, token: str | None, path: str = "/pets/1") -> Any:
    return gw.get(path, headers={"Authorization": token} if token is not None else {})


def test_rest_allow_reaches_the_upstream_with_principal_and_context(rest: RunningGateway, upstream: Upstream) -> None:
    r = call(rest, "context")
    assert r.status_code == 200
    seen = r.json()["headers"]
    assert seen["x-gatepost-principal-id"] == "user-7"
    assert seen["x-gatepost-context-tenantid"] == "t-42"
    assert seen["x-gatepost-auth-type"] == "lambda"


@pytest.mark.parametrize("token", ["unauthorized"])
def test_rest_unauthorized_is_401(rest: RunningGateway, upstream: Upstream, token: str) -> None:
    r = call(rest, token)
    assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
    assert r.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert upstream.count == 0


@pytest.mark.parametrize("token", ["crash", "unauthorized-lowercase", "none", "http-style", "string", "no-principal",
                                   "bad-policy", "array-context", "map-context", "null-context"])
def test_rest_errors_and_malformed_output_are_500_null(rest: RunningGateway, upstream: Upstream, token: str) -> None:
    r = call(rest, token)
    assert r.status_code == 500
    assert r.content == NULL_MESSAGE
    assert r.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
    assert upstream.count == 0


def test_rest_error_text_never_reaches_the_client(rest: RunningGateway) -> None:
    secret = handler_module(rest).SECRET_DETAIL
    r = call(rest, "crash")
    assert secret.encode() not in r.content and b"RuntimeError" not in r.content


def test_rest_implicit_deny_is_403_with_capital_message(rest: RunningGateway, upstream: Upstream) -> None:
    r = call(rest, "nothing-matches")
    assert r.status_code == 403
    assert r.json() == {"Message": "User is not authorized to access this resource"}
    assert r.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert upstream.count == 0


def test_rest_explicit_deny_says_so(rest: RunningGateway, upstream: Upstream) -> None:
    r = call(rest, "deny")
    assert r.status_code == 403
    assert r.json() == {"Message": "User is not authorized to access this resource with an explicit deny"}
    assert upstream.count == 0


def test_rest_missing_or_empty_token_is_401_without_invoking(rest: RunningGateway) -> None:
    for token in (None, ""):
        r = call(rest, token)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
    assert handler_module(rest).EVENTS == []
    assert authorizer(rest).stats.invocations == 0


def test_http_outcomes(http: RunningGateway, upstream: Upstream) -> None:
    assert call(http, "context").status_code == 200
    expected = {
        "unauthorized": (401, {"message": "Unauthorized"}),
        "crash": (500, {"message": "Internal Server Error"}),
        "none": (500, {"message": "Internal Server Error"}),
        "http-style": (500, {"message": "Internal Server Error"}),
        "deny": (403, {"message": "Forbidden"}),
        "nothing-matches": (403, {"message": "Forbidden"}),
    }
    for token, (status, body) in expected.items():
        r = call(http, token)
        assert (token, r.status_code, r.json()) == (token, status, body)
    assert upstream.count == 1
    assert call(http, None).status_code == 401


def test_http_2_0_context_keeps_arrays_and_maps(http: RunningGateway) -> None:
    r = call(http, "array-context")
    assert r.status_code == 200
    assert r.json()["headers"]["x-gatepost-principal-id"] == "user-7"
    r = call(http, "map-context")
    assert r.status_code == 200


def test_http_payload_1_0_context_is_scalar_only(upstream: Upstream) -> None:
    auth = HTTP_AUTH.replace("result_ttl: 0", 'result_ttl: 0, payload_format_version: "1.0"')
    with run_gateway(http_config(auth, upstream=upstream.url), config_dir=AUTHORIZERS) as gw:
        assert call(gw, "context").status_code == 200
        assert call(gw, "array-context").status_code == 500


def test_http_simple_responses(upstream: Upstream) -> None:
    auth = ('{type: lambda, function: "simple_v2:handler", enable_simple_responses: true, '
            'identity_sources: ["$request.header.Authorization"]}')
    with run_gateway(http_config(auth, upstream=upstream.url), config_dir=AUTHORIZERS) as gw:
        r = call(gw, "secretToken")
        assert r.status_code == 200
        context = r.json()["headers"]["x-gatepost-context"]
        assert context  # the native context (arrays, maps) travels base64url(JSON)
        assert (call(gw, "wrong").status_code, call(gw, "wrong").json()) == (403, {"message": "Forbidden"})
        r = call(gw, "string-bool")  # isAuthorized must be a real boolean
        assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error"})
        assert upstream.count == 1
