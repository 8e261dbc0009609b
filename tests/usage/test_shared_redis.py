"""Exact counts across processes on one real Redis: two `gatepost serve` processes under a bounded concurrent
load on one key admit exactly the quota; concurrent requests at a quota rollover are never over-admitted;
a restart keeps the counts (Redis, and memory counters through the catalog)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import redis as redis_sync
import requests
from keyed import keyed_config, new_key

from gatepost.clock import ManualClock
from gatepost.stores.memory import MemoryCatalog
from gatepost.stores.sqlite import SqliteCatalog
from gatepost.usage.limiter import quota_window
from support import free_port, run_gateway, wait_http


@contextmanager
def serve(config: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gatepost", "serve", str(config), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _load(urls: list[str], value: str, total: int, threads: int = 16) -> list[int]:
    """`total` requests spread over the gateways by `threads` workers; the status codes."""
    local = threading.local()

    def one(i: int) -> int:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return int(local.s.get(urls[i % len(urls)] + "/keyed", headers={"x-api-key": value}, timeout=10).status_code)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(total)))


def test_two_gateway_processes_on_one_redis_admit_exactly_the_quota(tmp_path: Path, upstream, redis_url: str) -> None:
    config = tmp_path / "gatepost.yaml"
    text = keyed_config(upstream.url, counters=redis_url, rate=100000, burst=100000, limit=120)
    config.write_text(text.replace("state: {", 'server: {access_log: "off"}\nstate: {catalog: "sqlite:///gp.db", '))
    catalog = SqliteCatalog(tmp_path / "gp.db")
    _, value = new_key(catalog, "acme")
    catalog.close()
    with serve(config) as a, serve(config) as b:
        statuses = _load([a, b], value, 400)
    assert statuses.count(200) == 120
    assert statuses.count(429) == 280
    assert upstream.count == 120


def _quota_used(redis_url: str, kid: str, start: int) -> int:
    client = redis_sync.Redis.from_url(redis_url)
    try:
        return int(client.get(f"gatepost:usage:q:{{k:{kid}}}:gold:D:{start}") or 0)
    finally:
        client.close()


def test_concurrent_requests_at_a_rollover_are_never_over_admitted(upstream, redis_url: str) -> None:
    clock = ManualClock()
    day0 = quota_window("DAY", clock.now())
    clock.set(day0.end - 0.5)
    catalog = MemoryCatalog()
    kid, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url, counters=redis_url, rate=100000, burst=100000, limit=10)
    with run_gateway(config, clock=clock, catalog=catalog) as a, run_gateway(config, clock=clock, catalog=catalog) as b:
        assert _load([a.url, b.url], value, 6, threads=1) == [200] * 6
        sent = threading.Event()

        def roll() -> None:
            sent.wait(5)
            time.sleep(0.01)
            clock.advance(1.0)  # midnight UTC, while requests are in flight

        roller = threading.Thread(target=roll)
        roller.start()
        timer = threading.Timer(0.005, sent.set)
        timer.start()
        statuses = _load([a.url, b.url], value, 60)
        roller.join()
        old, new = _quota_used(redis_url, kid, day0.start), _quota_used(redis_url, kid, day0.end)
        assert old <= 10 and new <= 10
        assert statuses.count(200) == (old - 6) + new
        assert statuses.count(200) + statuses.count(429) == 60
        # and exactly at the boundary: a fresh day admits exactly its quota
        clock.set(day0.end + 86400)
        statuses = _load([a.url, b.url], value, 40)
        assert statuses.count(200) == 10


def test_a_restart_keeps_the_counts_on_redis(upstream, redis_url: str, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url, counters=redis_url, limit=5)
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        assert [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(3)] == [200] * 3
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        assert [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(3)] == [200, 200, 429]


def test_a_restart_keeps_the_counts_with_memory_counters(tmp_path: Path, upstream, clock: ManualClock) -> None:
    config = keyed_config(upstream.url, limit=5)
    catalog = SqliteCatalog(tmp_path / "gp.db")
    _, value = new_key(catalog, "acme", clock=clock)
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        assert [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(4)] == [200] * 4
    catalog = SqliteCatalog(tmp_path / "gp.db")  # a new process would open the file again
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        assert [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(2)] == [200, 429]
    clock.advance(86400)
    catalog = SqliteCatalog(tmp_path / "gp.db")
    with run_gateway(config, clock=clock, catalog=catalog) as gw:  # a new day: the old usage does not count
        assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200
