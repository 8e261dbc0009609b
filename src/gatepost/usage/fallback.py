"""What happens when the shared counters (Redis) cannot be reached: the `usage.on_counter_failure` policy.

- `local` (default): count in this process meanwhile, so partners are not cut off; one warning when it
  starts, one line when it ends. A quota does not start again at zero: the local count starts from the
  last usage this process saw from Redis, raised to what the catalog's usage records say (loaded in the
  background when the outage starts). What the process admits meanwhile is kept apart and, once Redis
  answers again, added to it exactly once (lua/merge.lua, under an id of this outage), so the key gets no
  extra quota after recovery. Throttle buckets start full (they refill within seconds anyway).
- `fail_closed`: keyed and throttled requests get 503 until the store is back.

Either way a background probe pings the store every half second and switches back by itself.
docs/operations.md states the worst-case overshoot of each failure.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from gatepost.stores.counters import Bucket, CountersUnavailable, Outcome, Quota, Record, Seeds, Verdict
from gatepost.stores.counters_memory import MemoryCounters
from gatepost.stores.counters_redis import RedisCounters

log = logging.getLogger("gatepost.usage")

SEED_WAIT = 2.0  # seconds the first local admission of an outage waits for the catalog's usage
LAST_KNOWN_MAX = 100_000  # quota counters remembered; past windows are dropped when full


class FallbackCounters:
    shared = True

    def __init__(self, primary: RedisCounters, policy: str = "local", probe_interval: float = 0.5) -> None:
        self.primary = primary
        self.policy = policy
        self.probe_interval = probe_interval
        self.local = MemoryCounters()
        self.down = False
        self.last_known: dict[str, tuple[int, float]] = {}  # quota key -> (used, expires_at), from Redis
        self.pending = Seeds()  # counted here while Redis was unreachable, not yet merged
        self._probe: asyncio.Task[None] | None = None
        self._seeding: asyncio.Task[None] | None = None
        self._now = 0.0

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        self._now = now
        if not self.down:
            try:
                verdict = await self.primary.admit(buckets, quota, now, record)
            except CountersUnavailable as exc:
                self._went_down(str(exc), now)
            else:
                if quota is not None and verdict.outcome is not Outcome.THROTTLED:
                    self._remember(quota, verdict.used, now)
                return verdict
        if self.policy == "fail_closed":
            raise CountersUnavailable("shared counters unreachable")
        if quota is not None and self._seeding is not None and not self._seeding.done():
            await asyncio.wait({self._seeding}, timeout=SEED_WAIT)  # once per outage: the catalog's usage
        verdict = self.local.admit_now(buckets, quota, now)
        if verdict.admitted:
            self._count_pending(quota, record)
        return verdict

    def _remember(self, quota: Quota, used: int, now: float) -> None:
        if len(self.last_known) >= LAST_KNOWN_MAX and quota.key not in self.last_known:
            self.last_known = {k: v for k, v in self.last_known.items() if v[1] > now}
        self.last_known[quota.key] = (used, quota.expires_at)

    def _count_pending(self, quota: Quota | None, record: Record | None) -> None:
        if quota is not None:
            used, _ = self.pending.quotas.get(quota.key, (0, quota.expires_at))
            self.pending.quotas[quota.key] = (used + 1, quota.expires_at)
        if record is not None:
            k = (record.day, record.field)
            self.pending.days[k] = self.pending.days.get(k, 0) + 1

    def _went_down(self, error: str, now: float) -> None:
        if self.down:
            return
        self.down = True
        then = "answering 503" if self.policy == "fail_closed" else "counting per process meanwhile"
        log.warning("usage.counters_unavailable error=%s policy=%s: %s", error, self.policy, then)
        self.local = MemoryCounters()
        for key, (used, expires_at) in self.last_known.items():
            self.local.seed(key, used, expires_at)
        loop = asyncio.get_running_loop()
        if self.policy == "local":
            self._seeding = loop.create_task(self._seed_from_catalog(now), name="gatepost-counters-seed")
        self._probe = loop.create_task(self._probe_until_up(), name="gatepost-counters-probe")

    async def _seed_from_catalog(self, now: float) -> None:
        try:
            seeds = await self.primary.seeds(now)
        except Exception:
            log.exception("usage.fallback_seed_failed (local counts start from the last known usage)")
            return
        for key, (used, expires_at) in seeds.quotas.items():
            self.local.seed(key, used, expires_at)  # the higher of the two

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            try:
                await self.primary.ping()
                await self._merge_pending()
            except CountersUnavailable:
                continue
            self.down = False
            self.last_known.clear()
            log.warning("usage.counters_recovered: shared counting resumed")
            return

    async def _merge_pending(self) -> None:
        """Until nothing is left: requests admitted locally while a merge was under way are merged too."""
        while self.pending.quotas or self.pending.days:
            batch, self.pending = self.pending, Seeds()
            merge_id = uuid.uuid4().hex
            while True:
                try:
                    await self.primary.merge(merge_id, batch, self._now)
                    break
                except CountersUnavailable:  # the same id again: added once however often it is sent
                    await asyncio.sleep(self.probe_interval)
            log.info("usage.local_counts_merged quotas=%d records=%d", len(batch.quotas), len(batch.days))

    async def used(self, quota_key: str) -> int:
        return await self.primary.used(quota_key)

    async def ping(self) -> None:
        await self.primary.ping()

    async def close(self) -> None:
        for task in (self._probe, self._seeding):
            if task is not None:
                task.cancel()
        await self.primary.close()
        await self.local.close()
