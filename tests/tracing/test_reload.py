"""A reload (serve --watch, server/reload.py) hands over tracing too: the old gateway's exporter sends what it
still holds and stops, the new config's tracing serves the next requests."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gatepost.bootstrap import build_gateway
from gatepost.observe.access_log import AccessLog
from gatepost.request import GatewayRequest
from gatepost.server.app import GatewayApp
from gatepost.server.reload import ReloadEngine
from gatepost.stores.memory import MemoryCatalog
from gatepost.tracing.otel import OtelSink

CONFIG = """
tracing: {tracing}
apis:
  shop:
    routes:
      - {{route: "GET /open", public: true, integration: {{mock: {{status: 200, body: ok}}}}}}
"""


async def test_a_reload_flushes_the_old_exporter_and_brings_the_new_tracing(tmp_path: Path) -> None:
    conf = tmp_path / "gatepost.yaml"
    conf.write_text(CONFIG.format(tracing='{exporter: otlp, endpoint: "http://127.0.0.1:9", batch_delay_ms: 60000}'))
    gw = build_gateway(conf, catalog=MemoryCatalog())
    assert gw.tracer is not None
    memory = InMemorySpanExporter()
    gw.tracer.sink = sink = OtelSink(gw.tracer.config, memory)
    app = GatewayApp(gw, AccessLog("off"))
    await app.startup()
    try:
        response, _ = await app.handle(GatewayRequest(method="GET", path="/open", headers=(("host", "gw"),)))
        assert response.status == 200
        assert memory.get_finished_spans() == ()  # still queued: a minute before the next export
        conf.write_text(CONFIG.format(tracing="{sample_ratio: 0.5}"))
        assert (await ReloadEngine.attach(str(conf), app).reload()).ok
        assert sink.processor is None and {s.name for s in memory.get_finished_spans()} == {"GET /open",
                                                                                            "integration mock"}
        assert app.gw is not gw and app.gw.tracer is not None and app.gw.tracer.sink is None
        req = GatewayRequest(method="GET", path="/open", headers=(("host", "gw"),))
        assert (await app.handle(req))[0].status == 200 and req.trace is not None
    finally:
        await app.shutdown()
