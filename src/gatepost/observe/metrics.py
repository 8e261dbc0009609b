"""Prometheus metrics, cheap on the request path and summed across workers.

The request path does one dict increment and one histogram bucket increment per request
(`Metrics.observe`, called once at the end of `pipeline.serve`, with a second bucket for the integration
call's share) and, on routes that are not public, one for the authorizer (`Metrics.authorized`);
everything else is read at scrape time from counters the parts already keep (Lambda authorizer cache
stats, JWKS fetches, usage plans' rejections and the Redis counters' health: observe/usage_health.py).
Labels are bounded by the config: API name, route key as configured (never the raw path), status, stable
reason code, authorizer name, usage plan name, issuer URL. No principal, key or token ever becomes a label.

Several workers (`--workers N`): each worker writes its own totals (absolute, keyed by its pid) to a
shared SQLite file (`$TMPDIR/gatepost/metrics-{run}.db`) every second from a background task, off the
event loop; a scrape sums every worker's row with the scraping worker's live totals, so any worker
answers for all (at most a second behind for the others).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson
from mypy_extensions import mypyc_attr
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from gatepost.closing import cancel_and_wait
from gatepost.observe.shared_file import connect_shared, run_file
from gatepost.observe.usage_health import merge_redis, plan_rows, redis_families, redis_row


class Gateway(Protocol):
    """What metrics read of a gateway (a Protocol: gateway.py imports this module, not the reverse)."""

    @property
    def apis(self) -> tuple[Any, ...]: ...

    @property
    def services(self) -> Any: ...

    @property
    def metrics(self) -> Metrics: ...

log = logging.getLogger("gatepost.observe")
# tuple[float, ...], not a fixed-length tuple: mypyc keeps those unboxed and boxes all 14 per use
BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WIDTH = len(BUCKETS) + 2  # a histogram: one count per bucket, +Inf, then the sum
FLUSH_INTERVAL = 1.0
Snapshot = dict[str, Any]


class Metrics:
    """One process's request totals (`gateway.metrics`), keyed by the matched Route object (or the Api, or
    None when no API matched) and by the Authorizer object: identity hashing on the request path, names
    only at scrape time."""

    __slots__ = ("authorizer_durations", "carried", "durations", "integration_errors", "requests")

    def __init__(self) -> None:
        self.carried: Snapshot | None = None  # the totals of the gateway this one replaced (server/reload.py)
        self.requests: dict[tuple[object, int, str], int] = {}
        # per scope, two histograms in one list (one lookup per request): the request's duration, then the
        # integration call's; each is WIDTH floats, bucket counts (+Inf last) then the sum
        self.durations: dict[object, list[float]] = {}
        self.authorizer_durations: dict[object, list[float]] = {}  # by Authorizer (not for public routes)
        self.integration_errors: dict[tuple[object, str], int] = {}  # by (Route, reason): failed calls

    def observe(self, scope: object, status: int, reason: str, seconds: float, integration: float = -1.0) -> None:
        """One request: `seconds` in the gateway, `integration` of which waiting for the integration (-1: no call)."""
        key = (scope, status, reason)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        hist = self.durations.get(scope)
        if hist is None:
            hist = self.durations[scope] = [0.0] * (2 * WIDTH)
        hist[bisect.bisect_left(BUCKETS, seconds)] += 1
        hist[WIDTH - 1] += seconds
        if integration >= 0.0:
            hist[WIDTH + bisect.bisect_left(BUCKETS, integration)] += 1
            hist[-1] += integration

    def authorized(self, authorizer: object, seconds: float) -> None:
        hist = self.authorizer_durations.get(authorizer)
        if hist is None:
            hist = self.authorizer_durations[authorizer] = [0.0] * WIDTH
        hist[bisect.bisect_left(BUCKETS, seconds)] += 1
        hist[-1] += seconds

    def integration_failed(self, route: object, reason: str) -> None:
        """An integration call that ended in the gateway's own error (unreachable, timeout, bad answer)."""
        key = (route, reason)
        self.integration_errors[key] = self.integration_errors.get(key, 0) + 1

    def snapshot(self, gw: Gateway | None = None) -> Snapshot:
        names = _scope_names(gw)
        authorizer_names = _authorizer_names(gw)
        out: Snapshot = {
            "requests": [[*names.get(scope, ("-", "-")), status, reason, n]
                         for (scope, status, reason), n in list(self.requests.items())],
            "durations": [[*names.get(scope, ("-", "-")), v[:WIDTH]] for scope, v in list(self.durations.items())],
            "authorizer_durations": [[*authorizer_names.get(a, ("-", "-", "-")), list(v)]
                                     for a, v in list(self.authorizer_durations.items())],
            "integration_durations": [[*names.get(r, ("-", "-")), v[WIDTH:]] for r, v in list(self.durations.items())
                                      if r is not None and any(v[WIDTH:-1])],
            "integration_errors": [[*names.get(r, ("-", "-")), reason, n]
                                   for (r, reason), n in list(self.integration_errors.items())],
        }
        if gw is not None:
            out["authorizers"] = list(_authorizer_rows(gw))
            out["jwks"] = list(_jwks_rows(gw))
            out["plans"] = list(plan_rows(gw))
            out["redis"] = redis_row(gw)
        if self.carried is not None:
            return merge([out, self.carried])
        return merge([out]) if gw is not None else out


def _scope_names(gw: Gateway | None) -> dict[object, tuple[str, str]]:
    names: dict[object, tuple[str, str]] = {}
    for api in gw.apis if gw is not None else ():
        names[api] = (api.name, "-")
        for route in api.routes:
            names[route] = (api.name, route.route_key)
    return names


def _authorizer_names(gw: Gateway | None) -> dict[object, tuple[str, str, str]]:
    return {auth: (api.name, name, auth.kind) for api in (gw.apis if gw is not None else ())
            for name, auth in api.authorizers.items()}


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


# each section's rows are [*labels, *values]; a value is a count or a histogram (bucket counts, then the sum)
LABELS = {"requests": 4, "durations": 2, "authorizers": 3, "jwks": 1, "authorizer_durations": 3,
          "integration_durations": 2, "integration_errors": 3, "plans": 2}


def merge(snapshots: list[Snapshot]) -> Snapshot:
    """Sum several workers' snapshots (counters add; histograms add bucket by bucket; Redis: usage_health)."""
    out: Snapshot = {}
    for section, width in LABELS.items():
        summed: dict[tuple[Any, ...], list[Any]] = {}
        for snap in snapshots:
            for row in snap.get(section, []):
                key, values = tuple(row[:width]), row[width:]
                found = summed.get(key)
                summed[key] = list(values) if found is None else list(map(_sum, found, values))
        out[section] = [[*k, *v] for k, v in summed.items()]
    out["redis"] = merge_redis([snap.get("redis") for snap in snapshots])
    return out


def _sum(a: Any, b: Any) -> Any:
    if isinstance(a, list):
        return [x + y for x, y in zip(a, b, strict=True)]
    return a + b


# a Python class: its base is prometheus_client's, which mypyc's build does not see (a native class on an
# unknown base is broken: tests/core/test_compiled.py refuses one)
@mypyc_attr(native_class=False)
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
        yield _histogram("gatepost_request_duration_seconds",
                         "Time in the gateway per request (pipeline, integration included)", ["api", "route"],
                         self.snap["durations"])
        yield _histogram("gatepost_authorizer_duration_seconds",
                         "Time an authorizer took to decide (cache hits included; not on public routes)",
                         ["api", "authorizer", "kind"], self.snap["authorizer_durations"])
        yield _histogram("gatepost_integration_duration_seconds",
                         "Time the integration call took (upstream, Lambda or mock), failed calls included",
                         ["api", "route"], self.snap["integration_durations"])
        errors = CounterMetricFamily("gatepost_integration_errors",
                                     "Integration calls that failed in the gateway (unreachable, timeout, bad answer)",
                                     labels=["api", "route", "reason"])
        for api, route, reason, n in self.snap["integration_errors"]:
            errors.add_metric([api, route, reason], n)
        yield errors
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
        throttles = CounterMetricFamily("gatepost_usage_plan_throttles",
                                        "Keyed requests refused by their usage plan's throttle (429)",
                                        labels=["api", "plan"])
        quotas = CounterMetricFamily("gatepost_usage_plan_quota_rejections",
                                     "Keyed requests refused because their usage plan's quota was used (429)",
                                     labels=["api", "plan"])
        for api, plan, throttled, over_quota in self.snap["plans"]:
            throttles.add_metric([api, plan], throttled)
            quotas.add_metric([api, plan], over_quota)
        yield from (throttles, quotas)
        yield from redis_families(self.snap["redis"])
        workers = GaugeMetricFamily("gatepost_workers", "Worker processes whose totals are summed here")
        workers.add_metric([], self.workers)
        yield workers


def _histogram(name: str, documentation: str, labels: list[str], rows: list[list[Any]]) -> Metric:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    for *values, hist in rows:
        cumulative, buckets = 0.0, []
        for bound, count in zip([*map(str, BUCKETS), "+Inf"], hist[:-1], strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        family.add_metric(values, buckets, hist[-1])
    return family


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
        await cancel_and_wait(self._task)
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

    async def merged(self) -> Snapshot:
        mine = self.gw.metrics.snapshot(self.gw)
        others = await asyncio.to_thread(read_snapshots, self.path, os.getpid()) if self.path is not None else []
        return merge([mine, *others])

    async def render(self) -> bytes:
        return exposition(await self.merged(), self.workers)
