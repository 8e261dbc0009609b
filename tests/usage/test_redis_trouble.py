"""When Redis goes away: the default policy counts per process (with a log line), the fail-closed policy
answers 503; both switch back by themselves when Redis returns. A real redis-server is stopped and started
(these tests wait briefly in real time for the background probe)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import redis as redis_sync
from keyed import keyed_config, new_key

from gatepost.clock import ManualClock
from gatepost.stores.memory import MemoryCatalog
from support import RedisServer, run_gateway, run_redis


def _until(fn, expected: int, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while (got := fn()) != expected:
        assert time.monotonic() < deadline, f"still {got}, wanted {expected}"
        time.sleep(0.05)


def _buckets_in(server: RedisServer) -> int:
    client = redis_sync.Redis.from_url(server.url)
    try:
        return len(client.keys("gatepost:usage:tb:*"))
    finally:
        client.close()


def test_local_fallback_keeps_partners_served_and_recovers(tmp_path: Path, upstream, clock: ManualClock,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gatepost.usage")
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    with run_redis(tmp_path) as server:
        config = keyed_config(upstream.url, counters=server.url, rate=1, burst=2, limit=1000)
        with run_gateway(config, clock=clock, catalog=catalog) as gw:
            h = {"x-api-key": value}
            assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 429]
            server.stop()
            # Redis is gone: a per-process limiter with the same limits takes over (its own fresh bucket)
            assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 429]
            assert any("usage.counters_unavailable" in r.getMessage() for r in caplog.records)
            server.start()
            clock.advance(100)  # Redis restarted empty: after the probe notices, counting is shared again
            _until(lambda: int("usage.counters_recovered" in caplog.text), 1)
            assert _buckets_in(server) == 0
            assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 429]
            assert _buckets_in(server) == 1  # counted in Redis again, not in the local fallback
    assert value not in caplog.text


def test_fail_closed_answers_503_until_redis_returns(tmp_path: Path, upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    with run_redis(tmp_path) as server:
        config = keyed_config(upstream.url, counters=server.url, policy="fail_closed")
        with run_gateway(config, clock=clock, catalog=catalog) as gw:
            h = {"x-api-key": value}
            assert gw.get("/keyed", headers=h).status_code == 200
            server.stop()
            r = gw.get("/keyed", headers=h)
            assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"}
            assert r.headers["x-amzn-errortype"] == "ServiceUnavailableException"
            assert gw.get("/open").status_code == 200  # unkeyed routes do not depend on the counters
            calls = upstream.count
            server.start()
            _until(lambda: gw.get("/keyed", headers=h).status_code, 200)
            assert upstream.count == calls + 1  # the 503s never reached the integration
