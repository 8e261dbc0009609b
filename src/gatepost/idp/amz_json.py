"""The AWS JSON 1.1 protocol as Cognito's services speak it: `X-Amz-Target: {Service}.{Operation}`, a JSON
object in, a JSON object out, errors as `{"__type", "message"}` with `x-amzn-ErrorType`. Shared by the
built-in user pools (idp/endpoints.py) and the identity pools (federation/endpoints.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from gatepost.idp.errors import IdpError, internal_error
from gatepost.request import GatewayRequest
from gatepost.response import Response

AMZ_JSON = "application/x-amz-json-1.1"
Operation = Callable[[GatewayRequest, str], Awaitable[dict[str, Any]]]


def error_response(err: IdpError, req: GatewayRequest) -> Response:
    return Response(err.status, [("content-type", AMZ_JSON), ("x-amzn-errortype", f"{err.type}:"),
                                 ("x-amzn-requestid", req.request_id)], orjson.dumps(err.body()))


def params(req: GatewayRequest, reason: str) -> dict[str, Any]:
    """The request's JSON object, or SerializationException (`reason` for the log)."""
    try:
        found = orjson.loads(req.body or b"{}")
    except orjson.JSONDecodeError:
        found = None
    if not isinstance(found, dict):
        raise IdpError("SerializationException", "Start of structure or map found where not expected.", reason)
    return found


async def call(req: GatewayRequest, target_prefix: str, run: Operation, log: logging.Logger, event: str) -> Response:
    """Run the operation the target names; one log line `{event}.call op=... status=...` (no secrets)."""
    target = req.header("x-amz-target") or ""
    operation = target.removeprefix(target_prefix) if target.startswith(target_prefix) else ""
    try:
        result = await run(req, operation)
    except IdpError as err:
        log.info("%s.call op=%s status=%d reason=%s", event, operation[:40] or "-", err.status, err.reason)
        return error_response(err, req)
    except Exception:
        log.exception("%s.call_failed op=%s", event, operation[:40])
        return error_response(internal_error(), req)
    log.info("%s.call op=%s status=200", event, operation)
    return Response(200, [("content-type", AMZ_JSON), ("x-amzn-requestid", req.request_id)], orjson.dumps(result))
