"""The OpenTelemetry spans of a request (the SDK's in-memory exporter behind the gateway's batch processor):
one server span, a child per authorizer call and per integration call, HTTP semantic-convention attributes,
reason codes, and never a credential."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tkit import AUTH, CLIENT_TRACE, HERE, VALID, config, parts

from gatepost.gateway import Gateway
from gatepost.tracing.otel import OtelSink
from support import RunningGateway, Upstream, run_gateway

SECRET = "Bearer let-me-in"


@contextmanager
def traced(upstream: Upstream, *, trusted: bool = False, ratio: float = 1.0
           ) -> Iterator[tuple[RunningGateway, InMemorySpanExporter, OtelSink]]:
    memory = InMemorySpanExporter()
    holder: list[OtelSink] = []

    def use_memory(gw: Gateway) -> None:
        assert gw.tracer is not None
        gw.tracer.sink = sink = OtelSink(gw.tracer.config, memory)
        holder.append(sink)

    cfg = config(upstream.url, tracing=f"{{exporter: otlp, sample_ratio: {ratio}, service_name: shop-edge}}",
                 trusted=trusted)
    with run_gateway(cfg, config_dir=HERE, prepare=use_memory) as gw:
        yield gw, memory, holder[0]


def spans_of(memory: InMemorySpanExporter, sink: OtelSink, trace_id: str) -> list[ReadableSpan]:
    assert sink.flush()
    return [s for s in memory.get_finished_spans() if f"{s.context.trace_id:032x}" == trace_id]


def by_kind(spans: list[ReadableSpan]) -> dict[SpanKind, list[ReadableSpan]]:
    out: dict[SpanKind, list[ReadableSpan]] = {}
    for s in spans:
        out.setdefault(s.kind, []).append(s)
    return out


def test_an_authorized_request_is_a_server_span_with_two_children(upstream: Upstream) -> None:
    with traced(upstream) as (gw, memory, sink):
        assert gw.get("/items/7?api_key=query-secret", headers={**AUTH, "User-Agent": "probe/1"}).status_code == 200
        trace_id, parent, _ = parts(upstream.calls[0]["headers"]["traceparent"])
        spans = spans_of(memory, sink, trace_id)
    kinds = by_kind(spans)
    (server,), (authorize,), (call,) = kinds[SpanKind.SERVER], kinds[SpanKind.INTERNAL], kinds[SpanKind.CLIENT]
    assert server.parent is None and server.name == "GET /items/{id}"
    assert server.resource.attributes["service.name"] == "shop-edge"
    a = server.attributes
    assert a is not None
    assert a["http.request.method"] == "GET" and a["url.path"] == "/items/7" and a["url.scheme"] == "http"
    assert a["http.route"] == "/items/{id}" and a["http.response.status_code"] == 200
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == gw.port
    assert a["client.address"] == "127.0.0.1" and a["user_agent.original"] == "probe/1"
    assert a["gatepost.api"] == "shop" and a["gatepost.outcome"] == "allow" and a["gatepost.request_id"]
    assert a["gatepost.reason"] and "url.query" not in a
    assert authorize.parent is not None and authorize.parent.span_id == server.context.span_id
    assert authorize.name == "authorize gate" and authorize.attributes is not None
    assert authorize.attributes["gatepost.auth_type"] == "lambda"
    assert authorize.attributes["gatepost.authorizer"] == "gate"
    assert authorize.attributes["gatepost.outcome"] == "allow" and authorize.attributes["gatepost.reason"]
    assert call.parent is not None and call.parent.span_id == server.context.span_id
    assert f"{call.context.span_id:016x}" == parent  # the upstream's parent is the integration span
    assert call.name == "GET" and call.attributes is not None
    assert call.attributes["server.address"] == "127.0.0.1" and call.attributes["http.response.status_code"] == 200
    assert all(s.start_time is not None and s.end_time is not None and s.start_time <= s.end_time for s in spans)
    text = repr([(s.name, dict(s.attributes or {})) for s in spans])
    assert SECRET not in text and "let-me-in" not in text and "query-secret" not in text


def test_refusals_and_failures_carry_their_reason(upstream: Upstream) -> None:
    with traced(upstream) as (gw, memory, sink):
        assert gw.get("/items/7", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert gw.get("/down").status_code >= 500
        assert gw.get("/nowhere").status_code == 404
        assert sink.flush()
        spans = list(memory.get_finished_spans())
    servers = {s.attributes["url.path"]: s for s in spans if s.kind == SpanKind.SERVER and s.attributes}
    denied, down, nowhere = servers["/items/7"], servers["/down"], servers["/nowhere"]
    assert denied.attributes is not None and denied.attributes["gatepost.outcome"] == "deny"
    assert denied.status.status_code == StatusCode.UNSET  # a 4xx is the client's, not the server's error
    (auth,) = [s for s in spans if s.parent is not None and s.parent.span_id == denied.context.span_id]
    assert auth.attributes is not None and auth.attributes["gatepost.outcome"] == "deny"
    assert down.status.status_code == StatusCode.ERROR and down.attributes is not None
    assert down.attributes["error.type"] == str(down.attributes["http.response.status_code"])
    (call,) = [s for s in spans if s.parent is not None and s.parent.span_id == down.context.span_id]
    assert call.kind == SpanKind.CLIENT and call.status.status_code == StatusCode.ERROR
    assert nowhere.name == "GET" and nowhere.attributes is not None and "http.route" not in nowhere.attributes
    assert nowhere.attributes["gatepost.reason"].startswith("route.not_found")


def test_a_trusted_parent_is_the_server_spans_parent(upstream: Upstream) -> None:
    with traced(upstream, trusted=True) as (gw, memory, sink):
        assert gw.get("/open", headers={"traceparent": VALID}).status_code == 200
        spans = spans_of(memory, sink, CLIENT_TRACE)
    (server,) = by_kind(spans)[SpanKind.SERVER]
    assert server.parent is not None and server.parent.is_remote and server.parent.span_id == 0x00f067aa0ba902b7
    assert not server.links
    assert SpanKind.INTERNAL not in by_kind(spans)  # a public route's authorizer does nothing worth a span


def test_an_untrusted_parent_is_only_a_link(upstream: Upstream) -> None:
    with traced(upstream) as (gw, memory, sink):
        assert gw.get("/open", headers={"traceparent": VALID}).status_code == 200
        trace_id = parts(upstream.calls[0]["headers"]["traceparent"])[0]
        (server,) = by_kind(spans_of(memory, sink, trace_id))[SpanKind.SERVER]
    assert server.parent is None
    (link,) = server.links
    assert f"{link.context.trace_id:032x}" == CLIENT_TRACE and link.context.span_id == 0x00f067aa0ba902b7


def test_unsampled_requests_record_nothing_but_still_propagate(upstream: Upstream) -> None:
    with traced(upstream, ratio=0.0) as (gw, memory, sink):
        for _ in range(5):
            assert gw.get("/open").status_code == 200
        assert sink.flush()
        assert memory.get_finished_spans() == ()
    assert {parts(c["headers"]["traceparent"])[2] for c in upstream.calls} == {"00"}
