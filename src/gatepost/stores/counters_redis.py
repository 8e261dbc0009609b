"""Counters on Redis: one atomic Lua script (lua/admit.lua) per batch of requests, shared by every worker and
instance. The admissions a process makes while a batch is in flight go out together as the next batch
(counters_batch.py): one round trip per batch, not per request, and each request still gets its own exact
answer (the script runs the batch atomically, in order). Exactness is the per-request script's: nothing is
counted ahead or held back, so there is no overshoot to bound (docs/performance.md, "Shared counters").

Keys live under `gatepost:usage:`; bucket hashes expire once they would be full again, quota counters an
hour after their window ends (by the gateway clock). Any Redis failure surfaces as CountersUnavailable,
fast: short socket timeouts and no client-side retries, so the usage layer's failure policy decides (a failed
batch fails each of its requests). Admissions use one connection at a time; the pool (at most
`max_connections`) also serves the usage copies, refills and probes.

Redis restarted without persistence is noticed by the epoch marker (`gatepost:usage:epoch`, no TTL: run
Redis with `maxmemory-policy noeviction` or a `volatile-*` policy): until a process refilled the counts
from the catalog (`seeds`, once, lua/refill.lua) nothing is counted, so no key starts again at zero.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gatepost.stores.counters import Bucket, CountersUnavailable, Outcome, Quota, Record, Seeds, Verdict
from gatepost.stores.counters_batch import Coalescer
from gatepost.stores.resp import ReplyError, RespConnection

PREFIX = "gatepost:usage:"
EPOCH = PREFIX + "epoch"
DAY_TTL = 3 * 86400  # seconds a day's usage hash is kept: long enough to be copied to the catalog
MERGE_TTL_MS = 86_400_000
SeedSource = Callable[[float], Awaitable[Seeds]]


def day_key(day: str) -> str:
    return f"{PREFIX}day:{day}"


async def no_seeds(now: float) -> Seeds:
    return Seeds()


_ERRORS = (RedisError, OSError, asyncio.TimeoutError)
_FAST_ERRORS = (ReplyError, ConnectionError, OSError, TimeoutError)


def lua(name: str) -> str:
    return resources.files("gatepost.stores").joinpath("lua", name).read_text(encoding="utf-8")


Admission = tuple[tuple[Bucket, ...], Quota | None, float, Record | None]  # buckets, quota, now, record


def admit_call(batch: Sequence[Admission]) -> tuple[list[str], list[Any]]:
    """KEYS and ARGV of one admit.lua call: each key named once, each distinct set of limits (a plan's bucket
    and quota, the same for every request of a key in a window) once, then four arguments per request.
    Floats go as they are: hiredis writes them as `repr` does (shortest exact form), which Lua reads back."""
    keys = [EPOCH]
    index: dict[str, int] = {}

    def at(name: str) -> int:
        i = index.get(name)
        if i is None:
            keys.append(name)
            i = index[name] = len(keys)
        return i

    specs: dict[tuple[tuple[Bucket, ...], Quota | None], int] = {}
    spec_args: list[Any] = []
    requests: list[Any] = []
    for buckets, quota, now, record in batch:
        s = specs.get((buckets, quota))
        if s is None:
            s = specs[(buckets, quota)] = len(specs) + 1
            spec_args.append(len(buckets))
            for b in buckets:
                spec_args += [at(PREFIX + b.key), float(b.rate), b.burst]
            spec_args += [0, 0, 0] if quota is None else [at(PREFIX + quota.key), quota.limit, float(quota.expires_at)]
        if record is None:
            requests += [float(now), s, 0, ""]
        else:
            requests += [float(now), s, at(day_key(record.day)), record.field]
    return keys, [len(specs), *spec_args, DAY_TTL, *requests]


def verdicts(reply: Sequence[int]) -> list[Verdict]:
    out = []
    for i in range(0, len(reply), 2):
        code, value = reply[i], int(reply[i + 1])
        if code == 1:
            out.append(Verdict(Outcome.THROTTLED, retry_after=value / 1000))
        else:
            out.append(Verdict(Outcome.ADMITTED if code == 0 else Outcome.QUOTA_EXCEEDED, used=value))
    return out


class RedisCounters:
    shared = True

    def __init__(self, url: str, timeout: float = 0.5, max_connections: int = 64,
                 seeds: SeedSource = no_seeds) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), retry_on_timeout=False)
        self._redis = aioredis.Redis(connection_pool=pool)
        self._admit_text = lua("admit.lua")
        self._admit_sha = hashlib.sha1(self._admit_text.encode()).hexdigest()
        self._fast = RespConnection(url, timeout)  # admissions only: see resp.py
        self._merge = self._redis.register_script(lua("merge.lua"))
        self._refill = self._redis.register_script(lua("refill.lua"))
        self.seeds = seeds
        self._refilling: asyncio.Lock | None = None
        self.batches: Coalescer[Admission, Verdict] = Coalescer(self._admit_batch)
        self.errors = 0  # failed calls, probes included (the admin port's gatepost_redis_errors_total)
        self.last_failure = 0.0  # wall-clock time of the last one (0: none yet)

    def _unavailable(self, exc: BaseException) -> CountersUnavailable:
        self.errors += 1
        self.last_failure = time.time()
        return CountersUnavailable(type(exc).__name__)

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        return await self.batches.submit((tuple(buckets), quota, now, record))

    async def _admit_batch(self, batch: Sequence[Admission]) -> list[Verdict]:
        keys, args = admit_call(batch)
        reply = await self._run_admit(keys, args)
        if len(reply) == 1:  # this Redis lost its data: refill, then count
            await self.refill(batch[0][2])
            reply = await self._run_admit(keys, args)
            if len(reply) == 1:
                raise CountersUnavailable("refill did not hold")
        return verdicts(reply)

    async def _run_admit(self, keys: list[str], args: list[Any]) -> Any:
        call = ("EVALSHA", self._admit_sha, len(keys), *keys, *args)
        try:
            try:
                return await self._fast.call(*call)
            except ReplyError as exc:
                if not str(exc).startswith("NOSCRIPT"):
                    raise
                await self._fast.call("SCRIPT", "LOAD", self._admit_text)  # a new or flushed Redis
                return await self._fast.call(*call)
        except _FAST_ERRORS as exc:
            raise self._unavailable(exc) from None

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await script(keys=keys, args=args)
        except _ERRORS as exc:
            raise self._unavailable(exc) from None

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
            raise self._unavailable(exc) from None

    async def used(self, quota_key: str) -> int:
        try:
            value = await self._redis.get(PREFIX + quota_key)
        except _ERRORS as exc:
            raise self._unavailable(exc) from None
        return int(value or 0)

    async def ping(self) -> None:
        """Checks on fresh connections: pooled ones may be dead after a Redis restart."""
        self._fast.close()  # the next admission connects again too
        try:
            await self._redis.connection_pool.disconnect()
            await self._redis.ping()
        except _ERRORS as exc:
            raise self._unavailable(exc) from None

    async def close(self) -> None:
        await self.batches.close()
        self._fast.close()
        try:
            await self._redis.aclose()
            await self._redis.connection_pool.disconnect()
        except _ERRORS:
            pass
