"""The event builders: golden files, AWS's documented shapes (same keys, same types), and the rules
of section 7 of the reference (last value wins, comma-joins, nulls, stage in paths, base64 bodies)."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from eventkit import (
    CLAIMS_DECISION,
    CONTEXT_DECISION,
    IAM_DECISION,
    RECEIVED_AT,
    ClaimsAuthorizer,
    ContextAuthorizer,
    IamLikeAuthorizer,
    gateway,
    match_for,
    request,
)
from hypothesis import given
from hypothesis import strategies as st

from gatepost.decision import PUBLIC, Decision
from gatepost.integrations.events import accepts_binary, clf_time, http_v2_event, rest_v1_event

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
AWS = HERE / "aws_examples"
REGEN = os.environ.get("GATEPOST_REGEN_GOLDEN") == "1"

FULL_QUERY = "name=me&tag=a&tag=b&empty="
# spelled as clients send them: REST keeps each name's first spelling, HTTP APIs lower-case them (reference 7)
FULL_HEADERS = (("Accept", "*/*"), ("X-Multi", "one"), ("x-multi", "two"), ("Cookie", "s=1; theme=dark"),
                ("Content-Type", "application/json"))


def _golden(name: str, event: dict[str, Any]) -> None:
    """Compare with golden/NAME.json. GATEPOST_REGEN_GOLDEN=1 rewrites the files (review the diff)."""
    path = GOLDEN / f"{name}.json"
    if REGEN:
        path.write_text(json.dumps(event, indent=2, sort_keys=True) + "\n")
        return
    assert path.exists(), f"{path.name} is missing: run with GATEPOST_REGEN_GOLDEN=1 and review it"
    assert json.loads(path.read_text()) == event, f"{path.name} differs (GATEPOST_REGEN_GOLDEN=1 rewrites it)"


def _rest_full(authorizer_cls: type | None = None, decision: Decision | None = PUBLIC) -> dict[str, Any]:
    gw = gateway("rest", stage="prod", stage_variables={"lambdaAlias": "live"})
    req = request("GET", "/pets/42", query=FULL_QUERY, headers=FULL_HEADERS, body=b'{"a": 1}')
    auth = authorizer_cls("mobile", gw.apis[0].info) if authorizer_cls else None
    return rest_v1_event(req, match_for(gw, req, auth), decision)


def _http_full(authorizer_cls: type | None = None, decision: Decision | None = PUBLIC,
               stage: str | None = None) -> dict[str, Any]:
    gw = gateway("http", stage=stage, stage_variables={"lambdaAlias": "live"})
    req = request("PUT", "/pets/42", query=FULL_QUERY, headers=FULL_HEADERS, body=b'{"name": "rex"}')
    auth = authorizer_cls("bank", gw.apis[0].info) if authorizer_cls else None
    return http_v2_event(req, match_for(gw, req, auth), decision)


# -- golden files ---------------------------------------------------------------------------------------

def test_golden_rest_public() -> None:
    _golden("rest_v1_public", _rest_full())


def test_golden_rest_user_pool_claims() -> None:
    _golden("rest_v1_claims", _rest_full(ClaimsAuthorizer, CLAIMS_DECISION))


def test_golden_rest_lambda_context() -> None:
    _golden("rest_v1_lambda_context", _rest_full(ContextAuthorizer, CONTEXT_DECISION))


def test_golden_rest_iam() -> None:
    _golden("rest_v1_iam", _rest_full(IamLikeAuthorizer, IAM_DECISION))


def test_golden_http_jwt() -> None:
    _golden("http_v2_jwt", _http_full(ClaimsAuthorizer, CLAIMS_DECISION))


def test_golden_http_lambda() -> None:
    _golden("http_v2_lambda", _http_full(ContextAuthorizer, CONTEXT_DECISION))


def test_golden_http_payload_1_0() -> None:
    gw = gateway("http")
    req = request("GET", "/pets/7", query="a=1&a=2")
    _golden("http_v1_public", rest_v1_event(req, match_for(gw, req), PUBLIC))


# -- same keys, same types as AWS's documented examples ------------------------------------------------

def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}[type(value)]


def _compare(aws: Any, ours: Any, where: str, nullable: set[str], skip: set[str], problems: list[str],
             ours_only: frozenset[str] | set[str] = frozenset()) -> None:
    if where in skip:
        return
    ta, to = _json_type(aws), _json_type(ours)
    if ta != to and not ("null" in (ta, to) and where in nullable):
        problems.append(f"{where}: AWS has {ta}, ours {to}")
        return
    if ta == to == "object" and where not in {"$.headers", "$.multiValueHeaders", "$.queryStringParameters",
                                             "$.multiValueQueryStringParameters", "$.pathParameters",
                                             "$.stageVariables", "$.requestContext.authorizer.jwt.claims"}:
        for key in aws.keys() - ours.keys():
            if f"{where}.{key}" not in skip:
                problems.append(f"{where}.{key}: in AWS's example, missing from ours")
        for key in ours.keys() - aws.keys():
            if f"{where}.{key}" not in ours_only:
                problems.append(f"{where}.{key}: ours only")
        for key in aws.keys() & ours.keys():
            _compare(aws[key], ours[key], f"{where}.{key}", nullable, skip, problems, ours_only)


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((AWS / name).read_text()))


IDENTITY_NULLABLE = {f"$.requestContext.identity.{k}" for k in (
    "accessKey", "accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
    "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user",
    "userArn", "userAgent")}


# A 2016 capture (aws-lambda-go testdata): keys AWS added to the event since are ours only there.
ADDED_SINCE_2016 = {"$.requestContext.extendedRequestId", "$.requestContext.path", "$.requestContext.protocol",
                    "$.requestContext.identity.principalOrgId", "$.requestContext.identity.clientCert",
                    "$.isBase64Encoded"}


@pytest.mark.parametrize("example", ["rest_v1_devguide.json", "rest_v1_real_capture.json"])
def test_rest_event_has_aws_keys_and_types(example: str) -> None:
    aws = _load(example)
    ours = _rest_full(ClaimsAuthorizer, CLAIMS_DECISION)
    problems: list[str] = []
    # mTLS is not offered (clientCert null); `resourceId` is null in the HTTP-1.0-style doc example;
    # the authorizer part belongs to each kind's hook and is checked by the golden files.
    nullable = IDENTITY_NULLABLE | {"$.requestContext.identity.clientCert", "$.requestContext.resourceId",
                                    "$.pathParameters", "$.stageVariables"}  # null in AWS's example: none there
    skip = {"$.requestContext.authorizer", "$.requestContext.identity.clientCert"}
    ours_only = {"$.requestContext.identity.apiKey", "$.requestContext.identity.apiKeyId"}  # reference 7.1
    if example == "rest_v1_real_capture.json":
        ours_only |= ADDED_SINCE_2016
    _compare(aws, ours, "$", nullable, skip, problems, ours_only)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("stage", [None, "dev"])
def test_http_v2_event_has_aws_keys_and_types(stage: str | None) -> None:
    aws = _load("http_v2_devguide.json")
    ours = _http_full(ClaimsAuthorizer, CLAIMS_DECISION, stage=stage)
    problems: list[str] = []
    _compare(aws, ours, "$", set(), {"$.requestContext.authentication"}, problems)
    assert problems == [], "\n".join(problems)
    assert ours["requestContext"]["authorizer"]["jwt"]["scopes"] == ["profile.read"]


# -- REST rules (reference 7.1) ---------------------------------------------------------------------------

def test_rest_multi_values_and_last_value_wins() -> None:
    e = _rest_full()
    assert e["queryStringParameters"] == {"name": "me", "tag": "b", "empty": ""}
    assert e["multiValueQueryStringParameters"] == {"name": ["me"], "tag": ["a", "b"], "empty": [""]}
    assert e["headers"]["X-Multi"] == "two"  # one key per header, its first spelling; the last value
    assert e["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert e["multiValueHeaders"]["Cookie"] == ["s=1; theme=dark"]  # REST keeps the cookie header as is


def test_rest_nulls_when_nothing_to_send() -> None:
    gw = gateway("rest")
    req = request("GET", "/")
    e = rest_v1_event(req, match_for(gw, req), PUBLIC)
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "stageVariables",
                "body"):
        assert key in e and e[key] is None, key
    assert e["isBase64Encoded"] is False
    assert "authorizer" not in e["requestContext"]  # NONE: no authorizer part
    assert e["requestContext"]["path"] == "/prod/"
    assert e["resource"] == "/"


def test_rest_paths_stage_and_time() -> None:
    e = _rest_full()
    ctx = e["requestContext"]
    assert (e["resource"], e["path"], e["httpMethod"]) == ("/pets/{id}", "/pets/42", "GET")
    assert e["pathParameters"] == {"id": "42"}
    assert e["stageVariables"] == {"lambdaAlias": "live"}
    assert (ctx["path"], ctx["stage"], ctx["resourcePath"]) == ("/prod/pets/42", "prod", "/pets/{id}")
    assert ctx["requestTimeEpoch"] == int(RECEIVED_AT * 1000)
    assert ctx["requestTime"] == "01/Jan/2026:00:00:00 +0000"
    assert (ctx["domainName"], ctx["domainPrefix"]) == ("api.example.com", "api")
    assert (ctx["accountId"], ctx["apiId"]) == ("123456789012", "a1b2c3d4e5")
    assert ctx["identity"]["sourceIp"] == "203.0.113.9"
    assert ctx["identity"]["userAgent"] == "curl/8.5.0"
    assert len(ctx["resourceId"]) == 6


def test_rest_greedy_path_parameter() -> None:
    gw = gateway("rest")
    req = request("DELETE", "/files/a/b/c.txt")
    e = rest_v1_event(req, match_for(gw, req), PUBLIC)
    assert e["resource"] == "/files/{proxy+}"
    assert e["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_decision_none_omits_authorizer_part() -> None:
    gw = gateway("rest")
    req = request("GET", "/pets/1")
    m = match_for(gw, req, ClaimsAuthorizer("mobile", gw.apis[0].info))
    assert "authorizer" not in rest_v1_event(req, m, None)["requestContext"]
    assert rest_v1_event(req, m, CLAIMS_DECISION)["requestContext"]["authorizer"]["claims"]["sub"] == "u-1"
    gw2 = gateway("http")
    m2 = match_for(gw2, req, ClaimsAuthorizer("bank", gw2.apis[0].info))
    assert "authorizer" not in http_v2_event(req, m2, None)["requestContext"]


def test_authorizer_hook_data_lands_where_aws_puts_it() -> None:
    claims = _rest_full(ClaimsAuthorizer, CLAIMS_DECISION)["requestContext"]["authorizer"]
    assert claims["claims"]["email_verified"] == "true" and claims["scopes"] == ["profile.read"]
    ctx = _rest_full(ContextAuthorizer, CONTEXT_DECISION)["requestContext"]["authorizer"]
    assert ctx["principalId"] == "partner-7" and ctx["tier"] == "3"
    iam = _rest_full(IamLikeAuthorizer, IAM_DECISION)["requestContext"]
    assert iam["identity"]["userArn"] == "arn:aws:iam::123456789012:user/ops"
    assert iam["identity"]["accessKey"] == "AKIDEXAMPLE"
    assert "authorizer" not in iam
    lam = _http_full(ContextAuthorizer, CONTEXT_DECISION)["requestContext"]["authorizer"]
    assert lam == {"lambda": {"tenantId": "t-42", "tier": 3, "beta": True}}


def test_rest_api_key_in_identity_when_checked() -> None:
    gw = gateway("rest")
    req = request("GET", "/pets/1", headers=(("x-api-key", "k-secret-value"),))
    d = PUBLIC.with_principal(api_key_id="key-123")
    ident = rest_v1_event(req, match_for(gw, req), d)["requestContext"]["identity"]
    assert (ident["apiKeyId"], ident["apiKey"]) == ("key-123", "k-secret-value")
    assert rest_v1_event(req, match_for(gw, req), PUBLIC)["requestContext"]["identity"]["apiKey"] is None


@pytest.mark.parametrize(("ctype", "body", "binary_types", "b64"), [
    ("application/json", b'{"a": 1}', (), False),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00", ("image/png",), True),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00", ("image/*",), True),
    ("application/octet-stream", b"plain", ("*/*",), True),
    ("application/octet-stream", b"plain", (), False),
    ("application/octet-stream", b"\xff\xfe\x00", ("application/octet-stream",), True),
    ("image/png;charset=binary", b"\xff", ("image/png",), True),  # parameters do not count
])
def test_rest_binary_media_types(ctype: str, body: bytes, binary_types: tuple[str, ...], b64: bool) -> None:
    gw = gateway("rest")
    req = request("POST", "/pets", headers=(("content-type", ctype),), body=body)
    e = rest_v1_event(req, match_for(gw, req), PUBLIC, binary_media_types=binary_types)
    assert e["isBase64Encoded"] is b64
    assert (base64.b64decode(e["body"]) if b64 else e["body"].encode()) == body


def test_rest_body_not_matching_binary_media_types_travels_as_text() -> None:
    """AWS base64-encodes a REST body only when its Content-Type matches; other bytes go as (lossy) text."""
    gw = gateway("rest")
    req = request("POST", "/pets", headers=(("content-type", "application/octet-stream"),), body=b"ok\xff")
    e = rest_v1_event(req, match_for(gw, req), PUBLIC, binary_media_types=("image/png",))
    assert (e["isBase64Encoded"], e["body"]) == (False, "ok\ufffd")


@pytest.mark.parametrize(("accept", "types", "decoded"), [
    ("image/png", ("image/png",), True),
    ("image/png", ("image/*",), True),
    ("image/png;q=0.9, text/html", ("image/png",), True),
    ("text/html, image/png", ("image/png",), False),  # only the first type counts (AWS)
    ("*/*", ("image/png",), False),
    ("*/*", ("*/*",), True),
    (None, ("image/png",), False),
    ("image/png", (), False),
])
def test_rest_response_decoded_only_when_accept_matches(accept: str | None, types: tuple[str, ...],
                                                        decoded: bool) -> None:
    assert accepts_binary(accept, types) is decoded


# -- HTTP API 2.0 rules (reference 7.2) ---------------------------------------------------------------------

def test_http_v2_joins_cookies_and_raw_values() -> None:
    e = _http_full()
    assert e["rawQueryString"] == FULL_QUERY
    assert e["queryStringParameters"] == {"name": "me", "tag": "a,b", "empty": ""}
    assert e["headers"]["x-multi"] == "one,two"
    assert "cookie" not in e["headers"]
    assert e["cookies"] == ["s=1", "theme=dark"]
    assert "multiValueHeaders" not in e and "multiValueQueryStringParameters" not in e
    assert e["routeKey"] == e["requestContext"]["routeKey"] == "PUT /pets/{id}"
    assert e["pathParameters"] == {"id": "42"}
    assert e["body"] == '{"name": "rex"}' and e["isBase64Encoded"] is False
    http = e["requestContext"]["http"]
    assert http == {"method": "PUT", "path": "/pets/42", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9",
                    "userAgent": "curl/8.5.0"}
    assert e["requestContext"]["timeEpoch"] == int(RECEIVED_AT * 1000)
    assert e["requestContext"]["time"] == "01/Jan/2026:00:00:00 +0000"


def test_http_v2_custom_domain_style_paths_and_stage() -> None:
    e = _http_full(stage="dev")
    assert e["rawPath"] == "/pets/42"  # URLs carry no stage (custom domain)
    assert e["requestContext"]["stage"] == "dev"
    assert _http_full()["requestContext"]["stage"] == "$default"


def test_http_v2_leaves_out_empty_parts() -> None:
    gw = gateway("http")
    req = request("GET", "/")
    e = http_v2_event(req, match_for(gw, req), PUBLIC)
    for key in ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"):
        assert key not in e, key
    assert "authorizer" not in e["requestContext"]
    assert e["rawQueryString"] == "" and e["isBase64Encoded"] is False


@pytest.mark.parametrize(("ctype", "b64"), [
    ("application/json", False), ("text/plain; charset=utf-8", False), ("application/vnd.api+json", False),
    ("application/x-www-form-urlencoded", False), ("image/png", True), ("application/octet-stream", True),
])
def test_http_v2_base64_by_content_type(ctype: str, b64: bool) -> None:
    gw = gateway("http")
    req = request("POST", "/pets", headers=(("content-type", ctype),), body=b"abc")
    e = http_v2_event(req, match_for(gw, req), PUBLIC)
    assert e["isBase64Encoded"] is b64
    assert e["body"] == (base64.b64encode(b"abc").decode() if b64 else "abc")


def test_http_payload_1_0_has_version_and_no_stage_in_path_for_default() -> None:
    gw = gateway("http")
    req = request("GET", "/pets/7", query="a=1&a=2")
    e = rest_v1_event(req, match_for(gw, req), PUBLIC)
    assert e["version"] == "1.0"
    assert e["requestContext"]["path"] == "/pets/7" and e["requestContext"]["stage"] == "$default"
    assert e["queryStringParameters"] == {"a": "2"}
    assert "version" not in _rest_full()


@given(st.lists(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False), min_size=1, max_size=20))
def test_request_time_is_each_seconds_common_log_format_in_any_order(epochs: list[float]) -> None:
    """clf_time keeps the last second's text: any order of calls (the same second again, earlier, later)
    still gives each epoch its own second, as strftime writes it (C locale: English month names)."""
    for epoch in epochs:
        assert clf_time(epoch) == time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(int(epoch)))
