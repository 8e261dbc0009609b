"""The OpenTelemetry export (`tracing.exporter: otlp`): recorded spans become the SDK's spans after each request
and go through its BatchSpanProcessor, whose own thread sends them in batches (OTLP/HTTP, protobuf). Nothing on
the request path waits for the collector: a full queue drops spans (the SDK logs it), a collector that is down
costs the export thread's retries only.

The SDK is an optional extra (`pip install 'gatepost[otel]'`); only this module imports it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode

from gatepost import __version__
from gatepost.tracing.context import CLIENT, SERVER, RequestTrace, SpanRecord

if TYPE_CHECKING:
    from gatepost.tracing.config import TracingConfig

_KINDS = {SERVER: SpanKind.SERVER, CLIENT: SpanKind.CLIENT}
_OK = Status(StatusCode.UNSET)
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)


def otlp_exporter(config: TracingConfig) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=config.traces_url(), headers=dict(config.headers) or None,
                            timeout=config.export_timeout_ms / 1000)


class OtelSink:
    """`exporter`: the OTLP exporter by default; tests hand the SDK's InMemorySpanExporter."""

    def __init__(self, config: TracingConfig, exporter: SpanExporter | None = None) -> None:
        self.config = config
        self.exporter = exporter
        self.resource = Resource.create({"service.name": config.service_name, "service.version": __version__})
        self.scope = InstrumentationScope("gatepost", __version__)
        self.processor: BatchSpanProcessor | None = None

    def start(self) -> None:
        """In each worker process, once it serves (the processor's thread must not cross a fork)."""
        if self.processor is None:
            c = self.config
            self.processor = BatchSpanProcessor(self.exporter or otlp_exporter(c), max_queue_size=c.max_queue,
                                                schedule_delay_millis=c.batch_delay_ms,
                                                max_export_batch_size=min(512, c.max_queue),
                                                export_timeout_millis=c.export_timeout_ms)

    def emit(self, trace: RequestTrace, spans: list[SpanRecord]) -> None:
        processor = self.processor
        if processor is None:
            return
        for span in spans:
            processor.on_end(self._readable(trace, span))

    def _readable(self, trace: RequestTrace, span: SpanRecord) -> ReadableSpan:
        context = SpanContext(trace.trace_id, span.span_id, False, _SAMPLED)
        parent = None
        links: tuple[Link, ...] = ()
        if span.parent_id is not None:
            parent = SpanContext(trace.trace_id, span.parent_id, span.kind == SERVER, _SAMPLED)
        if span.kind == SERVER and trace.link is not None:
            links = (Link(SpanContext(trace.link[0], trace.link[1], True), {"gatepost.link": "untrusted_parent"}),)
        status = _OK if span.error is None else Status(StatusCode.ERROR)
        return ReadableSpan(span.name, context, parent, resource=self.resource, attributes=span.attributes,
                            links=links, kind=_KINDS.get(span.kind, SpanKind.INTERNAL), status=status,
                            start_time=span.start_ns, end_time=span.end_ns, instrumentation_scope=self.scope)

    def flush(self, timeout_ms: int = 30_000) -> bool:
        return self.processor.force_flush(timeout_ms) if self.processor is not None else True

    async def close(self) -> None:
        """Export what is queued (up to the export timeout), off the event loop."""
        processor, self.processor = self.processor, None
        if processor is not None:
            await asyncio.to_thread(processor.shutdown)

