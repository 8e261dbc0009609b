"""A rate-based rule counted in Redis is exact across worker processes: `gatepost serve --workers 2` (two
processes sharing the port), requests over several kept-alive connections (each served by one worker, known by
the pid `/_gatepost/health` answers on it), exactly `Limit` admitted and every other one blocked.

The processes run on the system clock. Counts are kept per fixed 600 s window aligned to the clock, the
previous window's weighing on the next (waf/rate.py): the count is exact for a burst inside one window whose
previous window is empty. The burst takes seconds: when a window boundary fell inside it (seen on the same
clock, before the first request and after the last), it is repeated once from a fresh client address (its
counters start empty), which then lies in one window: the exactness check always runs on such a burst.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from support import serve_process, wait_http

LIMIT = 20
WINDOW = 600
CONNECTIONS_PER_WORKER = 3
REQUESTS_PER_CONNECTION = 10  # 2 workers x 3 connections x 10 = 60 requests: 20 admitted, 40 blocked
ACL = {"Name": "edge", "DefaultAction": {"Allow": {}}, "Rules": [{
    "Name": "per-client", "Priority": 0, "Action": {"Block": {}},
    "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "pc"},
    "Statement": {"RateBasedStatement": {"Limit": LIMIT, "EvaluationWindowSec": WINDOW, "AggregateKeyType": "IP"}}}]}


def _config(tmp: Path, redis_url: str) -> Path:
    path = tmp / "gatepost.yaml"
    path.write_text(f"""
server: {{access_log: "{tmp / 'access.log'}"}}
state: {{catalog: "sqlite:///{tmp / 'catalog.db'}", counters: "{redis_url}"}}
web_acls:
  edge: {{definition: {json.dumps(ACL)}}}
apis:
  shop:
    web_acl: edge
    routes: [{{route: "GET /items", public: true}}]
    integration: {{mock: {{status: 200, body: ok}}}}
""")
    return path


class Client:
    """One kept-alive connection from `address`, and the pid of the worker that accepted it."""

    def __init__(self, port: int, address: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address, 0))
        self.pid = int(json.loads(self._get("/_gatepost/health")[1])["pid"])
        self.sock = self.conn.sock

    def _get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def get(self, path: str) -> int:
        status, _ = self._get(path)
        assert self.conn.sock is self.sock, "the connection was not kept alive: another worker may answer"
        return status

    def close(self) -> None:
        self.conn.close()


@contextmanager
def clients(port: int, address: str) -> Iterator[dict[int, list[Client]]]:
    """CONNECTIONS_PER_WORKER connections to each of the two workers (new connections until both have them)."""
    by_pid: dict[int, list[Client]] = {}
    spare: list[Client] = []
    try:
        for _ in range(200):
            client = Client(port, address)
            chosen = by_pid.setdefault(client.pid, [])
            (chosen if len(chosen) < CONNECTIONS_PER_WORKER else spare).append(client)
            if len(by_pid) == 2 and all(len(c) == CONNECTIONS_PER_WORKER for c in by_pid.values()):
                break
        assert len(by_pid) == 2, f"every connection went to one worker: {list(by_pid)}"
        yield by_pid
    finally:
        for client in [c for group in by_pid.values() for c in group] + spare:
            client.close()


def _burst(port: int, address: str) -> tuple[dict[int, list[int]], dict[int, int], bool]:
    """(statuses per worker pid, each worker's answer after the burst, whether it all lay in one window)."""
    with clients(port, address) as by_pid:
        started = time.time()
        with ThreadPoolExecutor(len(by_pid) * CONNECTIONS_PER_WORKER) as pool:
            futures = {c: pool.submit(lambda c=c: [c.get("/items") for _ in range(REQUESTS_PER_CONNECTION)])
                       for group in by_pid.values() for c in group}
            results = {c: f.result() for c, f in futures.items()}
        after = {pid: group[0].get("/items") for pid, group in by_pid.items()}
        ended = time.time()
    statuses: dict[int, list[int]] = {}
    for client, got in results.items():
        statuses.setdefault(client.pid, []).extend(got)
    return statuses, after, int(started // WINDOW) == int(ended // WINDOW)


@pytest.mark.timeout(300)
def test_rate_rule_exact_across_two_worker_processes(tmp_path: Path, redis_url: str) -> None:
    config = _config(tmp_path, redis_url)
    with serve_process(config, "--workers", "2", stdout=subprocess.DEVNULL) as (_, port):
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=120)
        for address in ("127.0.0.2", "127.0.0.3"):  # the second only when a window boundary fell inside the first
            statuses, after, one_window = _burst(port, address)
            if one_window:
                break
        assert one_window, "two bursts of a few seconds each crossed a 600 s window boundary"
    everything = sorted(s for got in statuses.values() for s in got)
    assert everything == [200] * LIMIT + [403] * (2 * CONNECTIONS_PER_WORKER * REQUESTS_PER_CONNECTION - LIMIT)
    assert len(statuses) == 2 and all(len(got) == CONNECTIONS_PER_WORKER * REQUESTS_PER_CONNECTION
                                      for got in statuses.values())  # both workers answered their share
    assert after == {pid: 403 for pid in statuses}  # each worker sees the count the other one made
    lines = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    blocked = [r for r in lines if r.get("reason") == "waf.blocked" and r["source_ip"] == address]
    assert len(blocked) == len(everything) - LIMIT + 2
    assert {r["waf"]["rule"] for r in blocked} == {"per-client"}
