"""The tracer of a compiled gateway (config/compile.py calls `build_tracer`): None when tracing is off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gatepost.tracing.instrument import instrument
from gatepost.tracing.tracer import SpanSink, Tracer

if TYPE_CHECKING:
    from gatepost.gateway import Api
    from gatepost.tracing.config import TracingConfig

OTEL_MISSING = ("tracing.exporter: otlp needs the OpenTelemetry SDK, which is not installed",
                "pip install 'gatepost[otel]' (opentelemetry-sdk and its OTLP/HTTP exporter), or exporter: none")


def build_tracer(config: TracingConfig | None, apis: Sequence[Api]) -> Tracer | None:
    """Raises ImportError (OTEL_MISSING says why and the fix) when `exporter: otlp` lacks the SDK."""
    if config is None or not config.enabled:
        return None
    sink: SpanSink | None = None
    if config.exporter == "otlp":
        from gatepost.tracing.otel import OtelSink

        sink = OtelSink(config)
    instrument((a for api in apis for a in api.authorizers.values()),
               {id(r.integration): r.integration for api in apis for r in api.routes}.values())
    return Tracer(config, sink)
