"""The gateway's tracer: reads or starts each request's trace, and hands its spans to the exporter after it.

Trusted callers are the socket peers in `server.trusted_proxies` (the same setting that lets X-Forwarded-*
through, request_head.py): their valid `traceparent` continues (its sampled flag is followed), with their
`tracestate`. Anyone else's is replaced by a new trace; when spans are exported, the server span keeps a valid
untrusted `traceparent` as a link (OpenTelemetry's advice for untrusted parents), never as its parent.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from gatepost.request import GatewayRequest
from gatepost.tracing.attributes import server_span
from gatepost.tracing.config import TracingConfig
from gatepost.tracing.context import SERVER, RequestTrace, SpanRecord
from gatepost.tracing.w3c import (
    SAMPLED,
    new_trace_id,
    parse_traceparent,
    parse_tracestate,
    ratio_bound,
    sampled_by_ratio,
)


class SpanSink(Protocol):
    """Where recorded spans go (otel.py): `emit` must not block; export happens off the request path."""

    def start(self) -> None: ...

    def emit(self, trace: RequestTrace, spans: list[SpanRecord]) -> None: ...

    async def close(self) -> None: ...


class Tracer:
    def __init__(self, config: TracingConfig, sink: SpanSink | None = None) -> None:
        self.config = config
        self.bound = ratio_bound(config.sample_ratio)
        self.sink = sink  # None: W3C propagation and the access log's trace_id, nothing exported

    def begin(self, req: GatewayRequest, trusted: bool) -> RequestTrace:
        """The request's trace: its trusted caller's, or a new one. Never raises, whatever the headers say."""
        incoming = req.header_map.get("traceparent")
        parent = None
        if incoming is not None and (trusted or self.sink is not None):
            parent = parse_traceparent(incoming) if len(req.header_values("traceparent")) == 1 else None
        if parent is not None and trusted:
            state = req.header_values("tracestate")
            sampled = bool(parent[2] & SAMPLED)
            return RequestTrace(parent[0], parent[1], sampled, parse_tracestate(state) if state else None, None,
                                sampled and self.sink is not None)
        trace_id = new_trace_id(req.received_at or None)
        sampled = sampled_by_ratio(trace_id, self.bound)
        link = (parent[0], parent[1]) if parent is not None else None
        return RequestTrace(trace_id, None, sampled, None, link, sampled and self.sink is not None)

    def end(self, trace: RequestTrace, ex: Any) -> None:
        """After the pipeline answered (`ex`: its Exchange): the server span and its children go to the sink."""
        if not trace.recording or self.sink is None:
            return
        name, attributes, error = server_span(ex)
        span = SpanRecord(name, trace.span_id, trace.parent_id, SERVER, attributes, trace.start_ns)
        span.end_ns, span.error = time.time_ns(), error
        self.sink.emit(trace, [*trace.children, span])

    def start(self) -> None:
        if self.sink is not None:
            self.sink.start()

    async def close(self) -> None:
        if self.sink is not None:
            await self.sink.close()
