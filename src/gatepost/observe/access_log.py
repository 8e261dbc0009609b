"""The access log: one JSON line per request, buffered and written off the request path.

Fields: time, request_id, api, route, method, path (never the query string), method_arn, authorizer,
auth_type, outcome, reason (stable code), error_type, principal_id, api_key_id, status, latency_ms,
source_ip, `waf` when a Web ACL rule matched (ACL, action, rule, labels, counted rules: never the matched
value), and `trace_id` when tracing is on (the request's W3C trace id). Never a header value, token, key or
signature: identity sources are not logged at all.

A request refused while its head was read (400 malformed, 413, 431: server/native.py) has a shorter line:
time, request_id, status, reason, source_ip and `"stage": "head"`; its method and path are null (they are
what could not be trusted, or were never read whole).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from typing import IO, Any

import orjson

from gatepost.pipeline import Exchange


def fingerprint(secret: str) -> str:
    """A short, non-reversible tag for correlating a credential across log lines without logging it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def record(ex: Exchange, latency: float, now: float) -> dict[str, Any]:
    req, match, decision = ex.req, ex.match, ex.decision
    rec: dict[str, Any] = {
        "time": round(now, 3),
        "request_id": req.request_id,
        "api": ex.api.name if ex.api else None,
        "method": req.method,
        "path": req.path,
        "route": match.route.route_key if match else None,
        "method_arn": match.method_arn if match else None,
        "status": ex.status,
        "reason": ex.reason,
        "latency_ms": round(latency * 1000, 3),
        "source_ip": req.source_ip,
    }
    if match is not None:
        rec["authorizer"] = match.route.authorizer.name or None
        rec["auth_type"] = match.route.authorizer.kind
    if decision is not None:
        rec["outcome"] = str(decision.outcome)
        rec["principal_id"] = decision.principal.principal_id
        if decision.principal.api_key_id:
            rec["api_key_id"] = decision.principal.api_key_id
    if ex.error_type:
        rec["error_type"] = ex.error_type
    if ex.waf is not None:
        rec["waf"] = ex.waf.log()
    if req.trace is not None:  # tracing on (tracing/): the W3C trace id, 32 hex digits
        rec["trace_id"] = req.trace.trace_id_hex
    return rec


def head_refusal(request_id: str, status: int, reason: str, source_ip: str, now: float) -> dict[str, Any]:
    return {"time": round(now, 3), "request_id": request_id, "api": None, "method": None, "path": None,
            "status": status, "reason": reason, "latency_ms": 0.0, "source_ip": source_ip, "stage": "head"}


class AccessLog:
    """Lines are appended to a buffer and flushed at most every `interval` seconds by the event loop."""

    def __init__(self, target: str = "stdout", interval: float = 0.2, max_buffer: int = 256) -> None:
        self._stream: IO[bytes] | None
        if target == "off":
            self._stream = None
        elif target == "stdout":
            self._stream = sys.stdout.buffer
        elif target == "stderr":
            self._stream = sys.stderr.buffer
        else:
            self._stream = open(target, "ab")  # noqa: SIM115 - closed in close()
        self._owned = target not in ("off", "stdout", "stderr")
        self._buffer: list[bytes] = []
        self._interval = interval
        self._max = max_buffer
        self._scheduled = False

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, rec: dict[str, Any]) -> None:
        if self._stream is None:
            return
        self._buffer.append(orjson.dumps(rec) + b"\n")
        if len(self._buffer) >= self._max:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._stream is None or not self._buffer:
            return
        data, self._buffer = b"".join(self._buffer), []
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.flush()
        if self._owned and self._stream is not None:
            self._stream.close()
        self._stream = None
