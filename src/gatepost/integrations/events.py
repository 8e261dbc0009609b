"""AWS's Lambda events for one request: REST proxy / payload 1.0 and HTTP API payload 2.0.

Shapes follow reference/aws-semantics.md section 7 and AWS's documented examples
(set-up-lambda-proxy-integrations, http-api-develop-integrations-lambda). The authorizer's part
(`requestContext.authorizer`, REST's `identity` fields) comes only from the route authorizer's hook
(`event_authorizer(decision, version)`, `event_identity(decision)`): nothing here knows a kind.

`decision=None` builds the event without the authorizer part (what a REQUEST authorizer receives).
URLs carry no stage (custom-domain style). Under a base path (`base_path: /shop`, a custom domain's
base path mapping) `path`/`rawPath` keep it (`/shop/pets`) while `resource`/`routeKey` do not, as AWS
sends them; REST's `requestContext.path` carries the stage and not the base path (`/prod/pets`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from gatepost.per_second import PerSecondText
from gatepost.request import flavour_request_id

if TYPE_CHECKING:
    from gatepost.decision import Decision
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest

Headers = Sequence[tuple[str, str]]

PROTOCOL = "HTTP/1.1"
IDENTITY_KEYS: tuple[str, ...] = (
    "accessKey", "accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
    "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId",
    "sourceIp", "user", "userAgent", "userArn", "clientCert",
)
# HTTP APIs send these content types as text; everything else is base64 (AWS: http-api-develop-integrations-lambda).
TEXT_TYPES: tuple[str, ...] = ("text/", "application/json", "application/javascript", "application/xml",
              "application/x-www-form-urlencoded", "application/graphql")
TEXT_SUFFIXES: tuple[str, ...] = ("+json", "+xml")
# Headers API Gateway adds to every event (a client's own values are not passed on: the gateway sets them)
FORWARDING = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"})
_XRAY_TRACE = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;.*)?")  # a client's X-Amzn-Trace-Id that AWS keeps


def rest_v1_event(req: GatewayRequest, match: Match, decision: Decision | None, *,
                  headers: Headers | None = None, binary_media_types: Sequence[str] = ()) -> dict[str, Any]:
    """REST proxy event (payload 1.0); on http APIs also carries `"version": "1.0"`.

    `headers` replaces the request's headers (the integration passes the client's, without
    hop-by-hop and reserved-prefix ones); `binary_media_types` picks which bodies are base64 (REST).
    REST keys `headers`/`multiValueHeaders` by the client's spelling of each name; HTTP APIs lower-case
    every name in both payload versions (AWS: http-api-develop-integrations-lambda).
    """
    pairs = req.headers if headers is None else headers
    body, is_b64 = _v1_body(req, pairs, binary_media_types, match.api.flavour)
    event: dict[str, Any] = {"version": "1.0"} if match.api.flavour == "http" else {}
    pairs = [(k, v) for k, v in pairs if k not in FORWARDING]
    if match.api.flavour == "rest":
        pairs = [*client_cased(pairs, req.client_names), *aws_added(req, rest=True)]
    else:
        pairs = [*pairs, *aws_added(req, rest=False)]
    event.update({
        "resource": match.resource_path,
        "path": mounted(match, match.api_path),
        "httpMethod": req.method,
        "headers": _single(pairs),
        "multiValueHeaders": _multi(pairs),
        "queryStringParameters": _single(req.query) if req.query_string else None,
        "multiValueQueryStringParameters": _multi(req.query) if req.query_string else None,
        "pathParameters": dict(match.path_params) or None,
        "stageVariables": dict(match.api.info.stage_variables) or None,
        "requestContext": _v1_context(req, match, decision),
        "body": body,
        "isBase64Encoded": is_b64,
    })
    return event


def http_v2_event(req: GatewayRequest, match: Match, decision: Decision | None, *,
                  headers: Headers | None = None) -> dict[str, Any]:
    """HTTP API payload 2.0. Empty optional parts (cookies, query, path parameters, stage variables,
    body, authorizer) are left out, as AWS leaves them out."""
    pairs = [(k, v) for k, v in (req.headers if headers is None else headers) if k not in FORWARDING]
    pairs += aws_added(req, rest=False)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": mounted(match, match.raw_api_path),
        "rawQueryString": req.query_string,
    }
    cookies = [c.strip() for k, v in pairs if k == "cookie" for c in v.split(";") if c.strip()]
    if cookies:
        event["cookies"] = cookies
    event["headers"] = _joined((k, v) for k, v in pairs if k != "cookie")
    if req.query_string:
        event["queryStringParameters"] = _joined(req.query)
    if match.path_params:
        event["pathParameters"] = dict(match.path_params)
    if match.api.info.stage_variables:
        event["stageVariables"] = dict(match.api.info.stage_variables)
    event["requestContext"] = _v2_context(req, match, decision)
    if req.body:
        event["body"], event["isBase64Encoded"] = _v2_body(req.body, _content_type(pairs))
    else:
        event["isBase64Encoded"] = False
    return event


def _v1_context(req: GatewayRequest, match: Match, decision: Decision | None) -> dict[str, Any]:
    info = match.api.info
    domain = domain_name(req)
    ctx: dict[str, Any] = {
        "accountId": info.account_id,
        "apiId": info.api_id,
        "resourceId": resource_id(match),
        "resourcePath": match.resource_path,
        "path": match.api_path if info.stage == "$default" else f"/{info.stage}{match.api_path}",
        "httpMethod": req.method,
        "stage": info.stage,
        "requestId": event_request_id(req, match.api.flavour),
        "extendedRequestId": extended_request_id(req.request_id),
        "requestTime": clf_time(req.received_at),
        "requestTimeEpoch": epoch_ms(req.received_at),
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "protocol": PROTOCOL,
        "identity": _identity(req, match, decision),
    }
    part = _authorizer_part(match, decision, "1.0")
    if part is not None:
        ctx["authorizer"] = part
    return ctx


def mounted(match: Match, path: str) -> str:
    """The path as the client sent it: under a base path mapping, AWS's events keep the base path."""
    base = match.api.base_path
    if base == "/":
        return path
    return base.rstrip("/") + (path if path != "/" else "")


_NO_IDENTITY: dict[str, Any] = dict.fromkeys(IDENTITY_KEYS)  # copied per event (a copy, not fromkeys' 15 inserts)


def _identity(req: GatewayRequest, match: Match, decision: Decision | None) -> dict[str, Any]:
    identity: dict[str, Any] = _NO_IDENTITY.copy()
    identity["sourceIp"] = req.source_ip
    identity["userAgent"] = req.user_agent or None
    if decision is not None:
        key_id = decision.principal.api_key_id
        if key_id is not None:  # the usage stage checked a key: AWS shows its id and value
            identity["apiKeyId"] = key_id
            identity["apiKey"] = (decision.principal.usage_identifier_key
                                  if match.api.api_key_source == "AUTHORIZER" else req.header("x-api-key"))
        identity.update(match.route.authorizer.event_identity(decision))
    return identity


def _v2_context(req: GatewayRequest, match: Match, decision: Decision | None) -> dict[str, Any]:
    info = match.api.info
    domain = domain_name(req)
    ctx: dict[str, Any] = {"accountId": info.account_id, "apiId": info.api_id}
    part = _authorizer_part(match, decision, "2.0")
    if part is not None:
        ctx["authorizer"] = part
    ctx.update({
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {"method": req.method, "path": mounted(match, match.raw_api_path), "protocol": PROTOCOL,
                 "sourceIp": req.source_ip, "userAgent": req.user_agent},
        "requestId": event_request_id(req, "http"),
        "routeKey": match.route.route_key,
        "stage": info.stage,
        "time": clf_time(req.received_at),
        "timeEpoch": epoch_ms(req.received_at),
    })
    return ctx


def _authorizer_part(match: Match, decision: Decision | None, version: str) -> dict[str, Any] | None:
    if decision is None:
        return None
    return match.route.authorizer.event_authorizer(decision, version)


def client_cased(pairs: Headers, names: dict[str, str]) -> Headers:
    """REST's header names as the client spelled them (reference 7.1). A name sent in several spellings
    takes the first one seen, so `headers` keeps one key per header (ours: see docs/lambda-proxy.md).
    Names the server did not keep (`names` empty) stay lower-case."""
    if not names:
        return pairs
    return [(names.get(k, k), v) for k, v in pairs]


def _single(pairs: Iterable[tuple[str, str]]) -> dict[str, str] | None:
    """Last value wins (REST's single-value maps); None when there is nothing."""
    out = dict(pairs)
    return out or None


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]] | None:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        values = out.get(k)  # (get and store compile to dict calls; setdefault with a new list does not)
        if values is None:
            out[k] = [v]
        else:
            values.append(v)
    return out or None


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated names comma-joined, in order (HTTP API 2.0)."""
    out: dict[str, str] = {}
    for k, v in pairs:
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def _content_type(pairs: Headers) -> str:
    for k, v in reversed(pairs):
        if k == "content-type":
            return v.split(";", 1)[0].strip().lower()
    return ""


def _v1_body(req: GatewayRequest, pairs: Headers, binary_media_types: Sequence[str],
             flavour: str) -> tuple[str | None, bool]:
    if not req.body:
        return None, False
    ctype = _content_type(pairs)
    if flavour == "http":
        return _v2_body(req.body, ctype)
    if any(media_type_matches(ctype, pattern) for pattern in binary_media_types):
        return base64.b64encode(req.body).decode("ascii"), True
    return req.body.decode("utf-8", "replace"), False  # text, as AWS treats it (bytes that are not UTF-8 are lost)


def _v2_body(body: bytes, ctype: str) -> tuple[str, bool]:
    if is_text_type(ctype):
        return _text_or_b64(body)
    return base64.b64encode(body).decode("ascii"), True


def _text_or_b64(body: bytes) -> tuple[str, bool]:
    """A body that is not UTF-8 cannot travel as a JSON string: base64 it rather than mangle it (ours)."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def is_text_type(ctype: str) -> bool:
    return not ctype or ctype.startswith(TEXT_TYPES) or ctype.endswith(TEXT_SUFFIXES)


def accepts_binary(accept: str | None, binary_media_types: Sequence[str]) -> bool:
    """REST: a base64 answer is decoded when the request's Accept matches binaryMediaTypes; AWS honours only
    the first media type of the header ("If multiple media types are listed in the Accept header, API Gateway
    honors only the first"). No Accept header: no match."""
    if not accept:
        return False
    first = accept.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return bool(first) and any(media_type_matches(first, pattern) for pattern in binary_media_types)


def media_type_matches(ctype: str, pattern: str) -> bool:
    """`binaryMediaTypes` entries: "image/png", "image/*", "*/*"."""
    pattern = pattern.strip().lower()
    if pattern == "*/*":
        return True
    if pattern.endswith("/*"):
        return ctype.startswith(pattern[:-1])
    return ctype == pattern


def domain_name(req: GatewayRequest) -> str:
    host = req.host or "localhost"
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


_RESOURCE_IDS: dict[tuple[str, str], str] = {}  # (api id, resource path) -> resourceId: the config's routes
_RESOURCE_IDS_MAX = 4096


def resource_id(match: Match) -> str:
    """A stable 6-character id per (API, resource), like AWS's `resourceId` ("roq9wj"). Computed once per
    resource (base64.b32encode is a Python loop: ~5 µs a call), and the same in every process."""
    key = (match.api.info.api_id, match.resource_path)
    found = _RESOURCE_IDS.get(key)
    if found is None:
        digest = hashlib.sha1(f"{key[0]}{key[1]}".encode()).digest()
        found = base64.b32encode(digest).decode("ascii")[:6].lower()
        if len(_RESOURCE_IDS) >= _RESOURCE_IDS_MAX:
            _RESOURCE_IDS.clear()
        _RESOURCE_IDS[key] = found
    return found


def extended_request_id(request_id: str) -> str:
    """AWS's extendedRequestId looks like "BQGojGNSoAMFYQQ=": base64 of 11 bytes, here from the request id."""
    return binascii.b2a_base64(hashlib.sha1(request_id.encode()).digest()[:11], newline=False).decode("ascii")


def event_request_id(req: GatewayRequest, flavour: str) -> str:
    """`requestContext.requestId`: REST a UUID, HTTP APIs a short id (request.flavour_request_id)."""
    return flavour_request_id(req.request_id, flavour)


def aws_added(req: GatewayRequest, *, rest: bool) -> list[tuple[str, str]]:
    """X-Forwarded-For/-Port/-Proto and X-Amzn-Trace-Id, as API Gateway adds them to every event: the
    caller's address (after trusted proxies), the port and scheme it called, and a trace id (the client's
    when it sent a valid one, as AWS keeps it; with tracing on, else the request's W3C trace in X-Ray's form).
    REST spells them as AWS's samples do; HTTP APIs lower-case."""
    trace = req.header_map.get("x-amzn-trace-id")
    if trace is None or not _XRAY_TRACE.fullmatch(trace):
        trace = trace_id(req) if req.trace is None else req.trace.xray_header()
    host = req.host.rsplit("]", 1)[-1]
    port = host.rsplit(":", 1)[1] if ":" in host else ("443" if req.scheme == "https" else "80")
    values = (("X-Forwarded-For", req.source_ip), ("X-Forwarded-Port", port), ("X-Forwarded-Proto", req.scheme),
              ("X-Amzn-Trace-Id", trace))
    return [(k if rest else k.lower(), v) for k, v in values]


def trace_id(req: GatewayRequest) -> str:
    """An X-Ray trace id: `Root=1-` + the epoch seconds in 8 hex digits + 24 hex digits (from the request id)."""
    return _XRAY_ROOT.at(req.received_at) + hashlib.sha256(req.request_id.encode()).digest()[:12].hex()


_XRAY_ROOT = PerSecondText(lambda second: f"Root=1-{second:08x}-")  # the seconds part, formatted once a second


def _clf_text(second: int) -> str:
    t = time.gmtime(second)
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[t.tm_mon - 1]
    return f"{t.tm_mday:02d}/{month}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


_CLF = PerSecondText(_clf_text)  # requestTime changes once a second, requests come many times a second


def clf_time(epoch: float) -> str:
    """AWS's requestTime: "15/May/2020:06:01:09 +0000" (common log format, UTC, English month names)."""
    return _CLF.at(epoch)


def epoch_ms(epoch: float) -> int:
    return int(epoch * 1000)
