"""Prometheus metrics, cheap on the request path and summed across workers.

The request path does one dict increment and one histogram bucket increment per request
(`Metrics.observe`, called once at the end of `pipeline.serve`); everything else is read at scrape time
from counters the parts already keep (Lambda authorizer cache stats, JWKS fetches). Labels are bounded
by the config: API name, route key as configured (never the raw path), status, stable reason code,
authorizer name, issuer URL. No principal, key or token ever becomes a label.

Several workers (`--workers N`): each worker writes its own totals (absolute, keyed by its pid) to a
shared SQLite file (`$TMPDIR/gatepost/metrics-{run}.db`) every second from a background task, off the
event loop; a scrape sums every worker's row with the scraping worker's live totals, so any worker
answers for all (at most a second behind for the others).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from gatepost.observe.shared_file import connect_shared, run_file


class Gateway(Protocol):
    """What metrics read of a gateway (a Protocol: gateway.py imports this module, not the reverse)."""

    @property
    def apis(self) -> tuple[Any, ...]: ...

    @property
    def services(self) -> Any: ...

    @property
    def metrics(self) -> Metrics: ...

log = logging.getLogger("gatepost.observe")
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_INTERVAL = 1.0
Snapshot = dict[str, Any]


class Metrics:
    """One process's request totals (`gateway.metrics`), keyed by the matched Route object (or the Api, or
    None when no API matched): identity hashing on the request path, names only at scrape time."""

    __slots__ = ("durations", "requests")

    def __init__(self) -> None:
        self.requests: dict[tuple[object, int, str], int] = {}
        self.durations: dict[object, list[float]] = {}  # bucket counts (+Inf last), then the sum

    def observe(self, scope: object, status: int, reason: str, seconds: float) -> None:
        key = (scope, status, reason)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        hist = self.durations.get(scope)
        if hist is None:
            hist = self.durations[scope] = [0.0] * (len(BUCKETS) + 2)
        hist[bisect.bisect_left(BUCKETS, seconds)] += 1
        hist[-1] += seconds

    def snapshot(self, gw: Gateway | None = None) -> Snapshot:
        names = _scope_names(gw)
        out: Snapshot = {
            "requests": [[*names.get(scope, ("-", "-")), status, reason, n]
                         for (scope, status, reason), n in list(self.requests.items())],
            "durations": [[*names.get(scope, ("-", "-")), list(v)] for scope, v in list(self.durations.items())],
        }
        if gw is not None:
            out["authorizers"] = list(_authorizer_rows(gw))
            out["jwks"] = list(_jwks_rows(gw))
        return merge([out]) if gw is not None else out


def _scope_names(gw: Gateway | None) -> dict[object, tuple[str, str]]:
    names: dict[object, tuple[str, str]] = {}
    for api in gw.apis if gw is not None else ():
        names[api] = (api.name, "-")
        for route in api.routes:
            names[route] = (api.name, route.route_key)
    return names


def _authorizer_rows(gw: Gateway) -> Iterator[list[Any]]:
    for api in gw.apis:
        seen: set[str] = set()
        for route in api.routes:
            auth = route.authorizer
            stats = getattr(auth, "stats", None)
            if stats is None or auth.name in seen:
                continue
            seen.add(auth.name)
            yield [api.name, auth.name, auth.kind, int(stats.invocations), int(stats.hits), int(stats.misses)]


def _jwks_rows(gw: Gateway) -> Iterator[list[Any]]:
    registry = gw.services.extras.get("jwks_sources") or {}
    for source in registry.values():
        yield [source.issuer, int(getattr(source, "fetches", 0)), int(getattr(source, "failures", 0))]


def merge(snapshots: list[Snapshot]) -> Snapshot:
    """Sum several workers' snapshots (counters add; histograms add bucket by bucket)."""
    requests: dict[tuple[Any, ...], int] = {}
    durations: dict[tuple[Any, ...], list[float]] = {}
    authorizers: dict[tuple[Any, ...], list[int]] = {}
    jwks: dict[str, list[int]] = {}
    for snap in snapshots:
        for *k, v in snap.get("requests", []):
            requests[tuple(k)] = requests.get(tuple(k), 0) + int(v)
        for *k, hist in snap.get("durations", []):
            found = durations.setdefault(tuple(k), [0.0] * len(hist))
            for i, x in enumerate(hist):
                found[i] += x
        for *k, inv, hits, misses in snap.get("authorizers", []):
            row = authorizers.setdefault(tuple(k), [0, 0, 0])
            row[0] += inv
            row[1] += hits
            row[2] += misses
        for issuer, fetches, failures in snap.get("jwks", []):
            row = jwks.setdefault(issuer, [0, 0])
            row[0] += fetches
            row[1] += failures
    return {"requests": [[*k, v] for k, v in requests.items()],
            "durations": [[*k, v] for k, v in durations.items()],
            "authorizers": [[*k, *v] for k, v in authorizers.items()],
            "jwks": [[k, *v] for k, v in jwks.items()]}


class _SnapshotCollector(Collector):
    def __init__(self, snap: Snapshot, workers: int) -> None:
        self.snap = snap
        self.workers = workers

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("gatepost_requests", "Requests by API, route, status and reason code",
                                       labels=["api", "route", "status", "reason"])
        for api, route, status, reason, n in self.snap["requests"]:
            requests.add_metric([api, route, str(status), reason], n)
        yield requests
        durations = HistogramMetricFamily("gatepost_request_duration_seconds",
                                          "Time in the gateway per request (pipeline, integration included)",
                                          labels=["api", "route"])
        for api, route, hist in self.snap["durations"]:
            cumulative, buckets = 0.0, []
            for bound, count in zip([*map(str, BUCKETS), "+Inf"], hist[:-1], strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            durations.add_metric([api, route], buckets, hist[-1])
        yield durations
        labels = ["api", "authorizer", "kind"]
        invocations = CounterMetricFamily("gatepost_authorizer_invocations", "Lambda authorizer calls", labels=labels)
        hits = CounterMetricFamily("gatepost_authorizer_cache_hits", "Authorizer results served from cache",
                                   labels=labels)
        misses = CounterMetricFamily("gatepost_authorizer_cache_misses", "Authorizer cache misses", labels=labels)
        for api, name, kind, inv, hit, miss in self.snap["authorizers"]:
            invocations.add_metric([api, name, kind], inv)
            hits.add_metric([api, name, kind], hit)
            misses.add_metric([api, name, kind], miss)
        yield from (invocations, hits, misses)
        fetches = CounterMetricFamily("gatepost_jwks_fetches", "Successful JWKS fetches", labels=["issuer"])
        failures = CounterMetricFamily("gatepost_jwks_fetch_failures", "Failed JWKS fetches", labels=["issuer"])
        for issuer, ok, bad in self.snap["jwks"]:
            fetches.add_metric([issuer], ok)
            failures.add_metric([issuer], bad)
        yield from (fetches, failures)
        workers = GaugeMetricFamily("gatepost_workers", "Worker processes whose totals are summed here")
        workers.add_metric([], self.workers)
        yield workers


def exposition(snap: Snapshot, workers: int) -> bytes:
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snap, workers))
    return bytes(generate_latest(registry))


# ---- several workers: a shared file ---------------------------------------------------------------------

_SCHEMA = "CREATE TABLE IF NOT EXISTS snapshots (worker INTEGER PRIMARY KEY, doc BLOB NOT NULL)"


def shared_file() -> Path:
    return run_file("metrics")


def _connect(path: Path) -> sqlite3.Connection:
    return connect_shared(path, _SCHEMA)


def write_snapshot(path: Path, worker: int, snap: Snapshot) -> None:
    conn = _connect(path)
    try:
        conn.execute("INSERT OR REPLACE INTO snapshots (worker, doc) VALUES (?, ?)", (worker, orjson.dumps(snap)))
    finally:
        conn.close()


def read_snapshots(path: Path, except_worker: int) -> list[Snapshot]:
    if not path.exists():
        return []
    conn = _connect(path)
    try:
        rows = conn.execute("SELECT doc FROM snapshots WHERE worker != ?", (except_worker,)).fetchall()
    finally:
        conn.close()
    return [orjson.loads(r[0]) for r in rows]


class WorkerMetrics:
    """The scrape side: this worker's live totals, plus every other worker's last flushed ones."""

    def __init__(self, gw: Gateway, workers: int) -> None:
        self.gw = gw
        self.workers = workers
        self.path = shared_file() if workers > 1 else None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.path is not None and self._task is None:
            self._task = asyncio.create_task(self._flush_forever(), name="gatepost-metrics-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.path is not None:
            await asyncio.to_thread(write_snapshot, self.path, os.getpid(), self.gw.metrics.snapshot(self.gw))

    async def _flush_forever(self) -> None:
        assert self.path is not None
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                await asyncio.to_thread(write_snapshot, self.path, os.getpid(), self.gw.metrics.snapshot(self.gw))
            except (sqlite3.Error, OSError):
                log.warning("metrics.flush_failed path=%s", self.path, exc_info=True)

    async def render(self) -> bytes:
        mine = self.gw.metrics.snapshot(self.gw)
        others = await asyncio.to_thread(read_snapshots, self.path, os.getpid()) if self.path is not None else []
        return exposition(merge([mine, *others]), self.workers)
