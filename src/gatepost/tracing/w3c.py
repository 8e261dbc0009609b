"""W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` and `tracestate`, read and written.

Reading never raises: a value that breaks the spec (version `ff`, an all-zero trace or parent id, wrong lengths,
upper-case hex, a version-00 header with more after the flags, repeated headers) is ignored, and the caller
starts a trace of its own. Writing always produces version 00.
"""

from __future__ import annotations

import random
import re
import time

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
# a list member: `key=value` (a simple key or tenant@system), the value printable ASCII without `,` and `=`
_MEMBER = re.compile(r"(?:[a-z][_0-9a-z*/-]{0,255}|[a-z0-9][_0-9a-z*/-]{0,240}@[a-z][_0-9a-z*/-]{0,13})"
                     r"=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
_MAX_MEMBERS = 32
_MAX_TRACESTATE = 512  # what a vendor must propagate at least; longer values are dropped whole
SAMPLED = 0x01
_LOW64 = (1 << 64) - 1


def parse_traceparent(value: str) -> tuple[int, int, int] | None:
    """(trace id, parent id, flags) of a valid `traceparent`, else None."""
    m = _TRACEPARENT.match(value)
    if m is None:
        return None
    version = m.group(1)
    if version == "ff":
        return None
    if len(value) != 55 and (version == "00" or value[55:56] != "-"):  # later versions may add fields after a "-"
        return None
    trace_id, parent_id = int(m.group(2), 16), int(m.group(3), 16)
    if trace_id == 0 or parent_id == 0:
        return None
    return trace_id, parent_id, int(m.group(4), 16)


def parse_tracestate(values: list[str]) -> str | None:
    """The `tracestate` headers joined (RFC 9110 list), or None when any member breaks the grammar, a key repeats,
    there are more than 32 members or the whole is longer than 512 characters (dropped whole, never trimmed)."""
    joined = ",".join(values)
    if not joined or len(joined) > _MAX_TRACESTATE:
        return None
    members = [m.strip(" \t") for m in joined.split(",")]
    members = [m for m in members if m]
    if not members or len(members) > _MAX_MEMBERS:
        return None
    keys = set()
    for member in members:
        if _MEMBER.fullmatch(member) is None:
            return None
        keys.add(member.partition("=")[0])
    if len(keys) != len(members):
        return None
    return ",".join(members)


def format_traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def xray_trace_header(trace_id: int, span_id: int, sampled: bool) -> str:
    """The same trace as AWS X-Ray's `X-Amzn-Trace-Id` (what API Gateway puts in Lambda events): the first 8
    hex digits of the W3C id are the X-Ray epoch part, the other 24 its unique part."""
    hex_id = f"{trace_id:032x}"
    return f"Root=1-{hex_id[:8]}-{hex_id[8:]};Parent={span_id:016x};Sampled={1 if sampled else 0}"


def new_trace_id(now: float | None = None) -> int:
    """128 bits: the epoch seconds in the top 32 (as X-Ray ids, so `X-Amzn-Trace-Id` is a valid one), then 96
    random bits (W3C asks the right-most 7 bytes to be random; sampling reads the low 64)."""
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    return (seconds << 96) | random.getrandbits(96) or 1


def new_span_id() -> int:
    return random.getrandbits(64) or 1


def sampled_by_ratio(trace_id: int, bound: int) -> bool:
    """OpenTelemetry's TraceIdRatioBased decision: the low 64 bits under ratio x 2^64."""
    return (trace_id & _LOW64) < bound


def ratio_bound(ratio: float) -> int:
    return round(ratio * (1 << 64))
