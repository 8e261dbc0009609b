"""Counters on Redis: one atomic Lua script per request (lua/admit.lua), shared by every worker and instance.

Keys live under `gatepost:usage:`; bucket hashes expire once they would be full again, quota counters an
hour after their window ends (by the gateway clock). Any Redis failure surfaces as CountersUnavailable,
fast: short socket timeouts and no client-side retries, so the usage layer's failure policy decides. At most
`max_connections` connections per process; more concurrent requests wait for one (up to `timeout`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepost.stores.counters import Bucket, CountersUnavailable, Outcome, Quota, Verdict

PREFIX = "gatepost:usage:"
_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def lua(name: str) -> str:
    return resources.files("gatepost.stores").joinpath("lua", name).read_text(encoding="utf-8")


class RedisCounters:
    shared = True

    def __init__(self, url: str, timeout: float = 0.5, max_connections: int = 64) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), retry_on_timeout=False)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._admit = self._redis.register_script(lua("admit.lua"))

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float) -> Verdict:
        keys = [PREFIX + b.key for b in buckets]
        args: list[Any] = [repr(float(now)), len(buckets)]
        for b in buckets:
            args += [repr(float(b.rate)), b.burst]
        if quota is not None:
            keys.append(PREFIX + quota.key)
            args += ["1", quota.limit, repr(float(quota.expires_at))]
        else:
            args += ["0", 0, 0]
        try:
            code, value = await self._admit(keys=keys, args=args)
        except _ERRORS as exc:
            raise CountersUnavailable(type(exc).__name__) from None
        if code == 1:
            return Verdict(Outcome.THROTTLED, retry_after=int(value) / 1000)
        return Verdict(Outcome.ADMITTED if code == 0 else Outcome.QUOTA_EXCEEDED, used=int(value))

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
