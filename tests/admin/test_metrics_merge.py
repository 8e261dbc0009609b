"""Several workers' snapshots sum into one scrape: counters add, histograms add bucket by bucket, and the
Redis health of the workers combines (up only when every worker is up, errors added, the latest failure)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from gatepost.bootstrap import build_gateway
from gatepost.observe.metrics import Metrics, exposition, merge
from gatepost.observe.usage_health import merge_redis
from gatepost.stores.memory import MemoryCatalog

CONFIG = """
apis:
  shop:
    authorizers: {sig: {type: iam}}
    routes:
      - {route: "GET /open", public: true}
      - {route: "GET /private", authorizer: sig}
    integration: {mock: {}}
"""


def test_two_workers_snapshots_add_up() -> None:
    gw = build_gateway(text=CONFIG, catalog=MemoryCatalog())
    api = gw.apis[0]
    open_route, private = sorted(api.routes, key=lambda r: r.index)
    workers = [Metrics(), Metrics()]
    for n, metrics in enumerate(workers, start=1):
        for _ in range(n):  # worker 1 saw one request of each kind, worker 2 two
            metrics.observe(open_route, 200, "public", 0.002, 0.0015)
            metrics.authorized(private.authorizer, 0.0003)
            metrics.integration_failed(open_route, "integration.timeout")
    merged = merge([w.snapshot(gw) for w in workers])
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for f in text_string_to_metric_families(exposition(merged, 2).decode()) for s in f.samples}
    route = (("api", "shop"), ("route", "GET /open"))
    assert found[("gatepost_request_duration_seconds_count", route)] == 3
    assert found[("gatepost_integration_duration_seconds_count", route)] == 3
    assert found[("gatepost_integration_duration_seconds_bucket", (*route[:1], ("le", "0.001"), *route[1:]))] == 0
    assert found[("gatepost_integration_duration_seconds_bucket", (*route[:1], ("le", "0.0025"), *route[1:]))] == 3
    assert abs(found[("gatepost_integration_duration_seconds_sum", route)] - 0.0045) < 1e-9
    assert found[("gatepost_integration_errors_total", tuple(sorted((*route, ("reason", "integration.timeout")))))] == 3
    assert found[("gatepost_authorizer_duration_seconds_count",
                  (("api", "shop"), ("authorizer", "sig"), ("kind", "iam")))] == 3
    assert not any(n == "gatepost_redis_up" for n, _ in found)  # memory counters: no Redis rows


def test_redis_health_of_several_workers() -> None:
    assert merge_redis([None, None]) is None
    assert merge_redis([[1, 0, 0.0], None]) == [1, 0, 0.0]
    assert merge_redis([[1, 2, 50.0], [0, 3, 100.0]]) == [0, 5, 100.0]  # one worker cannot reach Redis
