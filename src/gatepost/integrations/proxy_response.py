"""A Lambda-proxy handler's return value -> the client's response, by AWS's rules.

Payload 1.0 (REST, and HTTP APIs on 1.0): a JSON object with `statusCode`, `headers`,
`multiValueHeaders`, `body` (a string or null) and `isBase64Encoded`; anything else is malformed
(REST answers 502). Payload 2.0 (HTTP APIs): the same keys plus `cookies`; and when the value has no
`statusCode`, AWS reads it as a 200 JSON answer whose body is the value (a string is sent as is).
Unknown keys are malformed on 1.0 and ignored on 2.0 (our choice: AWS does not document it).
`headers` and `multiValueHeaders` merge as AWS documents ("If you specify values for both headers and
multiValueHeaders, API Gateway merges them into a single list. If the same key-value pair is specified in
both, only the values from multiValueHeaders will appear in the merged list."): one list per name
(matched case-insensitively), a pair given in both appears once. REST answers keep the handler's header
names as spelled; HTTP APIs lower-case them. `Content-Length`, `Transfer-Encoding` and `Connection` from
the handler are dropped: the gateway frames the answer itself.

`isBase64Encoded: true` bodies are decoded unless `decode_base64` is False (REST, when the request's
Accept does not match the API's binaryMediaTypes): then the base64 text itself is the body, as AWS sends
it. Malformed output raises MalformedOutput with a stable reason code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from gatepost.response import Response

V1_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
SCALARS: tuple[type, ...] = (str, int, float, bool)


class MalformedOutput(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason  # e.g. "lambda.malformed.status"
        self.detail = detail  # for the gateway log; never sent to the client


def to_response(output: Any, payload_version: str, *, decode_base64: bool = True, keep_case: bool = False) -> Response:
    if payload_version == "2.0" and not (isinstance(output, dict) and "statusCode" in output):
        return _implicit_200(output)
    if not isinstance(output, dict):
        raise MalformedOutput("lambda.malformed.not_object", f"handler returned {type(output).__name__}")
    extra = output.keys() - V1_KEYS
    if extra and payload_version == "1.0":  # REST is strict; 2.0 ignores keys it does not know (ours)
        raise MalformedOutput("lambda.malformed.unknown_key", f"unexpected keys {sorted(extra)}")
    headers = _headers(output.get("headers"), output.get("multiValueHeaders"), keep_case)
    headers += [("set-cookie", c) for c in _cookies(output.get("cookies"))]
    body = _body(output.get("body"), output.get("isBase64Encoded"), decode_base64)
    return Response(_status(output["statusCode"]), headers, body)


def _implicit_200(output: Any) -> Response:
    """HTTP API 2.0: valid JSON without statusCode is a 200 application/json answer."""
    try:
        body = output.encode() if isinstance(output, str) else orjson.dumps(output)
    except TypeError as exc:
        raise MalformedOutput("lambda.malformed.not_json", str(exc)) from None
    return Response(200, [("content-type", "application/json")], body)


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedOutput("lambda.malformed.status", f"statusCode is {type(value).__name__}")
    try:
        status = int(value)
    except ValueError:
        raise MalformedOutput("lambda.malformed.status", "statusCode is not a number") from None
    if not 100 <= status <= 599:
        raise MalformedOutput("lambda.malformed.status", f"statusCode {status} is out of range")
    return status


FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})


def _headers(single: Any, multi: Any, keep_case: bool) -> list[tuple[str, str]]:
    merged: dict[str, tuple[str, list[str]]] = {}  # lower-cased name -> (name as first spelled, values)
    multi_map = _mapping(multi, "multiValueHeaders")
    for name, values in multi_map.items():
        if not isinstance(values, list):
            raise MalformedOutput("lambda.malformed.headers", f"multiValueHeaders[{name!r}] is not a list")
        merged.setdefault(name.lower(), (name, []))[1].extend(_text(v, name) for v in values)
    for name, value in _mapping(single, "headers").items():
        text = _text(value, name)
        values = merged.setdefault(name.lower(), (name, []))[1]
        if text not in values:  # a pair given in both appears once, from multiValueHeaders (AWS)
            values.insert(0, text)
    out = [(spelled if keep_case else lname, v) for lname, (spelled, values) in merged.items()
           if lname not in FRAMING for v in values]
    for name, value in out:
        if not name or "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise MalformedOutput("lambda.malformed.headers", f"header {name!r} cannot be sent")
    return out


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise MalformedOutput("lambda.malformed.headers", f"{key} is not an object")
    return value


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SCALARS):
        return str(value)
    raise MalformedOutput("lambda.malformed.headers", f"header {name!r} has a {type(value).__name__} value")


def _cookies(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise MalformedOutput("lambda.malformed.cookies", "cookies is not a list of strings")
    return value


def _body(body: Any, is_b64: Any, decode_base64: bool) -> bytes:
    if is_b64 is not None and not isinstance(is_b64, bool):
        raise MalformedOutput("lambda.malformed.base64_flag", "isBase64Encoded is not a boolean")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedOutput("lambda.malformed.body", f"body is {type(body).__name__}, not a string")
    if not is_b64:
        return body.encode("utf-8", "surrogatepass")
    try:
        decoded = base64.b64decode(body, validate=True)  # checked even when passed on as text (ours)
    except (binascii.Error, ValueError):
        raise MalformedOutput("lambda.malformed.base64", "body is not valid base64") from None
    return decoded if decode_base64 else body.encode("ascii")
