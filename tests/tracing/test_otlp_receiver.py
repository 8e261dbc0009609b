"""Spans over the wire: the gateway's OTLP/HTTP exporter against a real OTLP receiver on loopback (oteltap: a
native receiver decoding OTLP/HTTP protobuf, not the Python SDK that sent it)."""

from __future__ import annotations

import asyncio
import time

from opentelemetry.proto.trace.v1.trace_pb2 import Span
from oteltap import OtelTapHttpProtobufReceiver, OtelTapHttpProtobufReceiverSettings
from tkit import AUTH, HERE, config, parts

from support import Upstream, free_port, run_gateway


def attributes(span: Span) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


async def test_the_spans_of_a_request_reach_a_real_otlp_receiver(upstream: Upstream) -> None:
    port = free_port()
    received: list[Span] = []
    async with OtelTapHttpProtobufReceiver(OtelTapHttpProtobufReceiverSettings(http_port=port)) as receiver:
        async def collect() -> None:
            async for span in receiver.stream_traces():
                received.append(span)

        collector = asyncio.create_task(collect())
        await asyncio.sleep(0)
        tracing = f'{{exporter: otlp, endpoint: "http://127.0.0.1:{port}", batch_delay_ms: 50}}'

        def serve_one() -> str:
            with run_gateway(config(upstream.url, tracing=tracing), config_dir=HERE) as gw:
                assert gw.get("/items/7", headers=AUTH).status_code == 200
            return parts(upstream.calls[0]["headers"]["traceparent"])[0]  # stopping the gateway flushed the spans

        trace_id = await asyncio.to_thread(serve_one)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([s for s in received if s.trace_id.hex() == trace_id]) < 3:
            await asyncio.sleep(0.05)
        collector.cancel()
    spans = {s.kind: s for s in received if s.trace_id.hex() == trace_id}
    assert set(spans) == {Span.SPAN_KIND_SERVER, Span.SPAN_KIND_INTERNAL, Span.SPAN_KIND_CLIENT}
    server = spans[Span.SPAN_KIND_SERVER]
    assert server.name == "GET /items/{id}" and not server.parent_span_id
    assert spans[Span.SPAN_KIND_INTERNAL].parent_span_id == server.span_id
    assert spans[Span.SPAN_KIND_CLIENT].parent_span_id == server.span_id
    a = attributes(server)
    assert a["http.route"] == "/items/{id}" and a["http.response.status_code"] == 200 and a["gatepost.api"] == "shop"
    assert attributes(spans[Span.SPAN_KIND_INTERNAL])["gatepost.outcome"] == "allow"
    assert "let-me-in" not in repr(received)


def test_a_collector_that_is_down_costs_requests_nothing(upstream: Upstream) -> None:
    port = free_port()  # nothing listens there
    tracing = f'{{exporter: otlp, endpoint: "http://127.0.0.1:{port}", batch_delay_ms: 10, export_timeout_ms: 500}}'
    with run_gateway(config(upstream.url, tracing=tracing), config_dir=HERE) as gw:
        for _ in range(20):
            assert gw.get("/items/7", headers=AUTH).status_code == 200
    assert len(upstream.calls) == 20 and all(parts(c["headers"]["traceparent"]) for c in upstream.calls)
