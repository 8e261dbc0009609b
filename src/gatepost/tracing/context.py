"""One request's trace: its ids (W3C), what it passes on, and the spans recorded while it runs.

Spans are plain records here (no OpenTelemetry object on the request path); the exporter turns them into
OpenTelemetry spans after the request (otel.py). Only a sampled request with an exporter records any.
"""

from __future__ import annotations

import time
from typing import Any

from gatepost.tracing.w3c import format_traceparent, new_span_id, xray_trace_header

SERVER, CLIENT, INTERNAL = "server", "client", "internal"


class SpanRecord:
    __slots__ = ("attributes", "end_ns", "error", "kind", "name", "parent_id", "span_id", "start_ns")

    def __init__(self, name: str, span_id: int, parent_id: int | None, kind: str, attributes: dict[str, Any],
                 start_ns: int) -> None:
        self.name = name
        self.span_id = span_id
        self.parent_id = parent_id
        self.kind = kind
        self.attributes = attributes
        self.start_ns = start_ns
        self.end_ns = 0
        self.error: str | None = None  # a stable reason code: the span's status is ERROR

    def end(self, error: str | None = None) -> None:
        self.end_ns = time.time_ns()
        self.error = error


class RequestTrace:
    """`span_id` is the gateway's server span; `parent_id` the trusted caller's span (None: the trace started
    here); `link` an untrusted caller's (trace id, span id), kept only as a link; `tracestate` a trusted
    caller's, passed on as it came."""

    __slots__ = ("children", "link", "parent_id", "recording", "sampled", "span_id", "start_ns", "trace_id",
                 "tracestate")

    def __init__(self, trace_id: int, parent_id: int | None, sampled: bool, tracestate: str | None,
                 link: tuple[int, int] | None, recording: bool) -> None:
        self.trace_id = trace_id
        self.span_id = new_span_id()
        self.parent_id = parent_id
        self.sampled = sampled
        self.tracestate = tracestate
        self.link = link
        self.recording = recording
        self.start_ns = time.time_ns()
        self.children: list[SpanRecord] = []

    @property
    def trace_id_hex(self) -> str:
        return f"{self.trace_id:032x}"

    def traceparent(self, span_id: int | None = None) -> str:
        """What the next hop receives: this trace, with `span_id` (the gateway's span calling it) as parent."""
        return format_traceparent(self.trace_id, span_id or self.span_id, self.sampled)

    def xray_header(self) -> str:
        return xray_trace_header(self.trace_id, self.span_id, self.sampled)

    def child(self, name: str, kind: str, attributes: dict[str, Any]) -> SpanRecord:
        """A span under the server span; recorded (exported) only when the trace records."""
        span = SpanRecord(name, new_span_id(), self.span_id, kind, attributes, time.time_ns())
        if self.recording:
            self.children.append(span)
        return span
