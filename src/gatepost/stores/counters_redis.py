"""Counters on Redis: one atomic Lua script per request (lua/admit.lua), shared by every worker and instance.

Keys live under `gatepost:usage:`; bucket hashes expire once they would be full again, quota counters an
hour after their window ends (by the gateway clock). Any Redis failure surfaces as CountersUnavailable,
fast: short socket timeouts and no client-side retries, so the usage layer's failure policy decides. At most
`max_connections` connections per process; more concurrent requests wait for one (up to `timeout`).

Redis restarted without persistence is noticed by the epoch marker (`gatepost:usage:epoch`, no TTL: run
Redis with `maxmemory-policy noeviction` or a `volatile-*` policy): until a process refilled the counts
from the catalog (`seeds`, once, lua/refill.lua) nothing is counted, so no key starts again at zero.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepost.stores.counters import Bucket, CountersUnavailable, Outcome, Quota, Record, Seeds, Verdict

PREFIX = "gatepost:usage:"
EPOCH = PREFIX + "epoch"
NONE = PREFIX + "none"  # stands for an absent quota counter or usage record (never written)
DAY_TTL = 3 * 86400  # seconds a day's usage hash is kept: long enough to be copied to the catalog
MERGE_TTL_MS = 86_400_000
SeedSource = Callable[[float], Awaitable[Seeds]]


def day_key(day: str) -> str:
    return f"{PREFIX}day:{day}"


async def no_seeds(now: float) -> Seeds:
    return Seeds()
_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def lua(name: str) -> str:
    return resources.files("gatepost.stores").joinpath("lua", name).read_text(encoding="utf-8")


class RedisCounters:
    shared = True

    def __init__(self, url: str, timeout: float = 0.5, max_connections: int = 64,
                 seeds: SeedSource = no_seeds) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), retry_on_timeout=False)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._admit = self._redis.register_script(lua("admit.lua"))
        self._merge = self._redis.register_script(lua("merge.lua"))
        self._refill = self._redis.register_script(lua("refill.lua"))
        self.seeds = seeds
        self._refilling: asyncio.Lock | None = None

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        keys = [EPOCH, *(PREFIX + b.key for b in buckets)]
        args: list[Any] = [repr(float(now)), len(buckets)]
        for b in buckets:
            args += [repr(float(b.rate)), b.burst]
        if quota is not None:
            keys.append(PREFIX + quota.key)
            args += ["1", quota.limit, repr(float(quota.expires_at))]
        else:
            keys.append(NONE)
            args += ["0", 0, 0]
        keys.append(NONE if record is None else day_key(record.day))
        args += ["" if record is None else record.field, DAY_TTL]
        code, value = await self._call(self._admit, keys, args)
        if code == 3:  # this Redis lost its data: refill, then count
            await self.refill(now)
            code, value = await self._call(self._admit, keys, args)
            if code == 3:
                raise CountersUnavailable("refill did not hold")
        if code == 1:
            return Verdict(Outcome.THROTTLED, retry_after=int(value) / 1000)
        return Verdict(Outcome.ADMITTED if code == 0 else Outcome.QUOTA_EXCEEDED, used=int(value))

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except _ERRORS as exc:
            raise CountersUnavailable(type(exc).__name__) from None

    async def refill(self, now: float) -> bool:
        """Counts from the catalog into a Redis that lost them; once per Redis (True when this call did it)."""
        if self._refilling is None:
            self._refilling = asyncio.Lock()
        async with self._refilling:
            if await self._call_plain(self._redis.exists(EPOCH)):
                return False
            seeds = await self.seeds(now)
            keys, args = self._seed_args(seeds, now)
            done = await self._call(self._refill, [EPOCH, *keys], [secrets.token_hex(8), len(seeds.quotas), *args])
            return bool(done)

    @staticmethod
    def _seed_args(seeds: Seeds, now: float) -> tuple[list[str], list[Any]]:
        keys: list[str] = []
        args: list[Any] = []
        for key, (used, expires_at) in seeds.quotas.items():
            keys.append(PREFIX + key)
            args += [used, max(1, int((expires_at - now) * 1000)) + 3_600_000]
        for (day, fld), used in seeds.days.items():
            keys.append(day_key(day))
            args += [fld, used, DAY_TTL]
        return keys, args

    async def merge(self, merge_id: str, deltas: Seeds, now: float) -> bool:
        """Add what a process counted on its own (`deltas`) exactly once per `merge_id`; True when added now."""
        keys, args = self._seed_args(deltas, now)
        call = [EPOCH, PREFIX + "merged:" + merge_id, *keys], [MERGE_TTL_MS, len(deltas.quotas), *args]
        done = await self._call(self._merge, *call)
        if done == -1:
            await self.refill(now)
            done = await self._call(self._merge, *call)
        return bool(done == 1)

    async def day_usage(self, day: str) -> dict[str, int]:
        """The day's usage records as counted here: "{key id}|{plan}" -> requests."""
        raw = await self._call_plain(self._redis.hgetall(day_key(day)))
        return {k.decode(): int(v) for k, v in raw.items()}

    async def _call_plain(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except _ERRORS as exc:
            raise CountersUnavailable(type(exc).__name__) from None

    async def used(self, quota_key: str) -> int:
        try:
            value = await self._redis.get(PREFIX + quota_key)
        except _ERRORS as exc:
            raise CountersUnavailable(type(exc).__name__) from None
        return int(value or 0)

    async def ping(self) -> None:
        """Checks on fresh connections: pooled ones may be dead after a Redis restart."""
        try:
            await self._redis.connection_pool.disconnect()
            await self._redis.ping()
        except _ERRORS as exc:
            raise CountersUnavailable(type(exc).__name__) from None

    async def close(self) -> None:
        try:
            await self._redis.aclose()
            await self._redis.connection_pool.disconnect()
        except _ERRORS:
            pass
