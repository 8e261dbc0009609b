"""Per-process counters are refused where they would multiply the limits: several workers (at load) or a
second instance on the same catalog (at start, by a lease). Secrets never reach a log line. The key may come
from a Lambda authorizer (api_key_source AUTHORIZER)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from keyed import keyed_config, new_key

from gatepost.bootstrap import build_gateway
from gatepost.clock import ManualClock
from gatepost.decision import Decision, Principal
from gatepost.errors import ConfigError, GatewayError, ResponseType
from gatepost.observe.access_log import AccessLog
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog
from gatepost.usage.lease import LeaseHeld
from support import REPO, run_gateway


def test_memory_counters_with_several_workers_are_refused_at_load() -> None:
    with pytest.raises(ConfigError) as err:
        build_gateway(text=keyed_config("http://127.0.0.1:9"), catalog=MemoryCatalog(), workers=3, config_dir=REPO)
    assert "state.counters is memory:// (per process)" in str(err.value)
    assert "redis://" in str(err.value)
    throttled = 'apis: {a: {throttle: {rate: 1, burst: 1}, routes: [{route: "GET /x", public: true}], ' \
                'integration: {http: "http://127.0.0.1:9"}}}'
    with pytest.raises(ConfigError):
        build_gateway(text=throttled, catalog=MemoryCatalog(), workers=2, config_dir=REPO)
    build_gateway(text=keyed_config("http://127.0.0.1:9", counters="redis://127.0.0.1:9/0"),
                  catalog=MemoryCatalog(), workers=3, config_dir=REPO)  # shared counters: fine


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_second_instance_on_the_same_catalog_is_refused(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url)
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        with pytest.raises(LeaseHeld), run_gateway(config, clock=clock, catalog=catalog):
            pass
        assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200
    with run_gateway(config, clock=clock, catalog=catalog) as gw:  # released on shutdown
        assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200


def test_key_values_never_reach_a_log_line(tmp_path: Path, upstream, clock: ManualClock,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    log_file = tmp_path / "access.log"
    config = keyed_config(upstream.url, rate=1, burst=1, limit=2)
    with run_gateway(config, clock=clock, catalog=catalog, access_log=AccessLog(str(log_file))) as gw:
        for _ in range(3):
            gw.get("/keyed", headers={"x-api-key": value})
        gw.get("/keyed", headers={"x-api-key": "Z" * 30})
    text = log_file.read_text()
    assert '"reason":"usage.throttled"' in text and '"reason":"usage.key_unknown"' in text
    assert '"api_key_id"' in text
    for secret in (value, "Z" * 30):
        assert secret not in text and secret not in caplog.text


async def test_key_from_the_authorizer_usage_identifier_key(clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    kid, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config("http://127.0.0.1:9").replace("  shop:\n", "  shop:\n    api_key_source: AUTHORIZER\n")
    gw = build_gateway(text=config, clock=clock, catalog=catalog, config_dir=REPO)
    api = next(a for a in gw.apis if a.name == "shop")
    await gw.start()
    try:
        req = GatewayRequest(method="GET", path="/keyed", headers=(("x-api-key", "ignored-in-this-mode"),))
        m = api.table.match("GET", "/keyed")
        assert m is not None
        from gatepost.gateway import RouteMatch

        match = RouteMatch(api, m.value, "GET", {}, "/keyed", "/keyed", "arn")
        lambda_ok = Decision.allow("lambda.allow", authorizer="partners", kind="lambda",
                                   principal=Principal(principal_id="p", usage_identifier_key=value))
        admitted = await api.usage.admit(req, match, lambda_ok)
        assert admitted.principal.api_key_id == kid and admitted.principal.principal_id == "p"
        req_with_header = GatewayRequest(method="GET", path="/keyed", headers=(("x-api-key", value),))
        no_key = Decision.allow("lambda.allow", authorizer="partners", kind="lambda")
        with pytest.raises(GatewayError) as err:
            await api.usage.admit(req_with_header, match, no_key)  # the header is not the source here
        assert err.value.type is ResponseType.INVALID_API_KEY and err.value.reason == "usage.key_missing"
    finally:
        await gw.close()
