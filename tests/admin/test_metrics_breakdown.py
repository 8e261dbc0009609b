"""The metrics beyond requests by route: authorizer and integration latency, integration failures per route,
refusals per usage plan, and the Redis counters' health (a real redis-server stopped and started)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from admin_kit import admin_beside, scrape, value
from keyed import keyed_config, new_key

from gatepost.clock import ManualClock
from gatepost.stores.memory import MemoryCatalog
from support import free_port, run_gateway, run_redis


def routes_config(upstream: str, closed: int) -> str:
    return f"""
apis:
  shop:
    authorizers: {{sig: {{type: iam}}}}
    routes:
      - {{route: "GET /items/{{id}}", public: true}}
      - {{route: "GET /private", authorizer: sig}}
      - {{route: "GET /down", public: true, integration: {{http: "http://127.0.0.1:{closed}"}}}}
    integration: {{http: "{upstream}"}}
"""


def test_authorizer_and_integration_latency_and_integration_errors_per_route(
        upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_gateway(routes_config(upstream.url, free_port())) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
        for i in range(3):
            assert gw.get(f"/items/{i}").status_code == 200
        assert [gw.get("/private").status_code for _ in range(2)] == [403, 403]
        down = gw.get("/down")
        assert down.status_code in (502, 504), down.text
        found = scrape(admin)
    count = "gatepost_integration_duration_seconds_count"
    assert value(found, count, api="shop", route="GET /items/{id}") == 3
    assert value(found, count, api="shop", route="GET /down") == 1  # failed calls have a latency too
    assert value(found, count, route="GET /private") is None  # refused before any integration call
    integration_sum = value(found, "gatepost_integration_duration_seconds_sum", route="GET /items/{id}")
    request_sum = value(found, "gatepost_request_duration_seconds_sum", route="GET /items/{id}")
    assert integration_sum is not None and request_sum is not None and 0 < integration_sum <= request_sum
    errors = {dict(labels)["reason"]: v for (n, labels), v in found.items()
              if n == "gatepost_integration_errors_total" and ("route", "GET /down") in labels}
    assert sum(errors.values()) == 1 and all(r.startswith("integration.") for r in errors), errors
    assert value(found, "gatepost_integration_errors_total", route="GET /items/{id}") is None
    assert value(found, "gatepost_authorizer_duration_seconds_count", api="shop", authorizer="sig", kind="iam") == 2
    authorizers = {dict(labels)["authorizer"] for (n, labels), _ in found.items()
                   if n == "gatepost_authorizer_duration_seconds_count"}
    assert authorizers == {"sig"}  # public routes have no authorizer to time


def test_throttles_and_quota_rejections_per_plan_never_by_key(
        upstream, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = MemoryCatalog()
    key_id, key = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url, rate=1, burst=2, limit=3)
    with run_gateway(config, clock=clock, catalog=catalog) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
        h = {"x-api-key": key}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 429]  # the bucket
        clock.advance(10)
        assert [gw.get("/keyed", headers=h).status_code for _ in range(2)] == [200, 429]  # the quota (3)
        found = scrape(admin)
        text = str(found)
    assert value(found, "gatepost_usage_plan_throttles_total", api="shop", plan="gold") == 1
    assert value(found, "gatepost_usage_plan_quota_rejections_total", api="shop", plan="gold") == 1
    assert value(found, "gatepost_usage_plan_throttles_total", api="other", plan="silver") == 0  # listed, at zero
    assert key_id not in text and key not in text
    assert value(found, "gatepost_redis_up") is None  # memory counters: no Redis to report on


def test_redis_health_follows_a_real_redis_going_away_and_back(
        tmp_path: Path, upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = MemoryCatalog()
    _, key = new_key(catalog, "acme")
    with run_redis(tmp_path) as server:
        config = keyed_config(upstream.url, counters=server.url)
        with run_gateway(config, catalog=catalog) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
            h = {"x-api-key": key}
            assert gw.get("/keyed", headers=h).status_code == 200
            found = scrape(admin)
            assert value(found, "gatepost_redis_up") == 1
            assert value(found, "gatepost_redis_errors_total") == 0
            assert value(found, "gatepost_redis_last_failure_timestamp_seconds") == 0
            before = time.time()
            server.stop()
            assert gw.get("/keyed", headers=h).status_code == 200  # counted per process meanwhile
            found = scrape(admin)
            assert value(found, "gatepost_redis_up") == 0
            errors = value(found, "gatepost_redis_errors_total")
            assert errors is not None and errors >= 1
            last = value(found, "gatepost_redis_last_failure_timestamp_seconds")
            assert last is not None and last >= before - 1
            server.start()
            deadline = time.monotonic() + 15
            while value(scrape(admin), "gatepost_redis_up") != 1:  # the background probe (every 0.5 s)
                assert time.monotonic() < deadline, "Redis is back but gatepost_redis_up stayed 0"
                time.sleep(0.1)
