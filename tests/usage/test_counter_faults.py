"""Quotas through Redis faults, with `on_counter_failure: local`: each bound docs/operations.md states.

Two "processes" (each its own Redis client, fallback and usage sync, as two workers or instances have) on
one real redis-server and one SQLite catalog. Limit 10 a day. U is the usage when the fault starts, P = 2.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import redis as redis_sync

from gatepost.clock import ManualClock
from gatepost.stores.counters import Quota, Record
from gatepost.stores.counters_redis import PREFIX, RedisCounters
from gatepost.stores.sqlite import SqliteCatalog
from gatepost.usage.config import UsagePlanConfig
from gatepost.usage.fallback import FallbackCounters
from gatepost.usage.limiter import day_of, quota_window
from gatepost.usage.plans import compile_plan
from gatepost.usage.recorder import usage_of_key
from gatepost.usage.seeds import catalog_seeds
from gatepost.usage.sync import UsageSync
from support import RedisServer, run_redis

T = 1_767_225_600.0 + 3600  # 2026-01-01 01:00 UTC
LIMIT = 10
PLAN = compile_plan("gold", UsagePlanConfig.model_validate(
    {"api_stages": [{"api": "shop"}], "quota": {"limit": LIMIT, "period": "DAY"}}), "shop")
WINDOW = quota_window("DAY", T)
QUOTA = Quota(PLAN.quota_key("k1", "DAY", WINDOW), LIMIT, WINDOW.end)
RECORD = Record(day_of(T), "k1|gold")


@dataclass
class Proc:
    counters: FallbackCounters
    sync: UsageSync

    async def take(self, most: int = 100) -> int:
        """Admit requests until one is refused (or `most`); how many were admitted."""
        for n in range(most):
            if not (await self.counters.admit([], QUOTA, T, RECORD)).admitted:
                return n
        return most


def proc(server: RedisServer, catalog: SqliteCatalog) -> Proc:
    async def seeds(now: float):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(catalog_seeds, catalog, [PLAN], now)

    primary = RedisCounters(server.url, seeds=seeds)
    return Proc(FallbackCounters(primary, "local", probe_interval=0.1), UsageSync(primary, catalog, ManualClock(T)))


def redis_used(server: RedisServer) -> int:
    client = redis_sync.Redis.from_url(server.url)
    try:
        return int(client.get(PREFIX + QUOTA.key) or 0)
    finally:
        client.close()


def reported(catalog: SqliteCatalog) -> int:
    return usage_of_key(catalog, "k1", [day_of(T)]).get((day_of(T), "gold"), 0)


async def recovered(*procs: Proc, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while any(p.counters.down for p in procs):
        assert time.monotonic() < deadline, "the fallback did not switch back"
        await asyncio.sleep(0.05)


async def test_redis_paused(tmp_path: Path) -> None:
    """Overshoot <= (P-1) x (limit - U); afterwards no extra quota, and the report is the enforced count.
    The requests in flight when Redis stalled run when it resumes: counted twice, at most one per process."""
    catalog = SqliteCatalog(tmp_path / "c.db")
    with run_redis(tmp_path) as server:
        a, b = proc(server, catalog), proc(server, catalog)
        assert await a.take(6) == 6  # U = 6, seen by A only
        await a.sync.sync()
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            during = await a.take() + await b.take()  # A from what it saw, B from the catalog
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert during == 2 * (LIMIT - 6)  # overshoot (P-1) x (limit - U) = 4, not P x limit
        await recovered(a, b)
        total = 6 + during
        assert total <= redis_used(server) <= total + 2  # merged back: never less than admitted
        assert await a.take() == 0 and await b.take() == 0  # no extra quota after recovery
        await b.sync.sync()
        assert reported(catalog) == int(redis_used(server))  # one count, reported and enforced
        await a.counters.close()
        await b.counters.close()
    catalog.close()


async def test_redis_killed_with_persistence(tmp_path: Path) -> None:
    """Overshoot <= (P-1) x (limit - U) + lag, lag = what the others admitted that a process had not heard
    of (neither from Redis nor from the catalog, which is at most one flush interval behind); the local
    counts are merged exactly once into the kept ones."""
    catalog = SqliteCatalog(tmp_path / "c.db")
    with run_redis(tmp_path, persistent=True) as server:
        a, b = proc(server, catalog), proc(server, catalog)
        assert await a.take(3) == 3 and await b.take(3) == 3  # U = 6; A last heard 3, B 6; no copy yet
        server.kill()
        during = await a.take() + await b.take()
        assert 6 + during - LIMIT == (LIMIT - 6) + 3  # (P-1) x (limit - U) + A's lag of 3
        server.start()
        await recovered(a, b)
        assert redis_used(server) == 6 + during  # exact: kept counts plus each local count once
        assert await a.take() == 0 and await b.take() == 0
        await a.sync.sync()
        assert reported(catalog) == 6 + during
        await a.counters.close()
        await b.counters.close()
    catalog.close()


async def test_redis_restarted_empty_is_refilled_from_the_catalog(tmp_path: Path) -> None:
    """Overshoot <= what was admitted since the last copy to the catalog (about one flush interval)."""
    catalog = SqliteCatalog(tmp_path / "c.db")
    with run_redis(tmp_path) as server:
        a = proc(server, catalog)
        assert await a.take(5) == 5
        await a.sync.sync()  # the catalog knows 5
        assert await a.take(2) == 2  # not copied yet
        server.stop()
        server.start()  # no persistence: every count is gone
        after = await a.take()
        await recovered(a)
        after += await a.take()
        assert 7 + after == LIMIT + 2  # refilled from 5, not from 0: overshoot = the 2 not yet copied
        assert redis_used(server) == 5 + after
        await a.counters.close()
    catalog.close()


async def test_a_killed_instance_loses_nothing_while_redis_is_up(tmp_path: Path) -> None:
    """Overshoot 0: what the killed process counted is in Redis; the others copy it to the catalog."""
    catalog = SqliteCatalog(tmp_path / "c.db")
    with run_redis(tmp_path) as server:
        a, b = proc(server, catalog), proc(server, catalog)
        assert await a.take(4) == 4 and await b.take(3) == 3
        del a  # killed: never synced, never closed
        assert await b.take() == LIMIT - 7
        await b.sync.sync()
        assert reported(catalog) == LIMIT == redis_used(server)
        await b.counters.close()
    catalog.close()


async def test_an_instance_killed_during_a_redis_outage_loses_its_local_counts(tmp_path: Path) -> None:
    """The one loss: what a process admitted on its own and had not merged yet (<= limit - U) is extra quota."""
    catalog = SqliteCatalog(tmp_path / "c.db")
    with run_redis(tmp_path, persistent=True) as server:
        a, b = proc(server, catalog), proc(server, catalog)
        assert await a.take(6) == 6
        await a.sync.sync()  # U = 6, known to both (B through the catalog)
        server.kill()
        lost = await a.take(3)  # A admits 3 on its own, then is killed before Redis returns
        assert lost == 3
        await a.counters.close()  # killed: its probe stops, its local counts go with it (Redis is still down)
        assert await b.take(1) == 1
        server.start()
        await recovered(b)
        assert redis_used(server) == 6 + 1  # A's 3 are not there
        assert await b.take() == LIMIT - 7  # the extra quota: exactly what A had admitted, 3 <= limit - U
        await b.counters.close()
    catalog.close()
