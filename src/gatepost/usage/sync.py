"""Usage records from Redis to the catalog: the day's counts admit.lua keeps, copied about once a second.

Every worker copies the records of today and yesterday that changed since it last looked, as totals
(a record only grows to them), so copies from several workers and instances agree, and what an instance
counted just before it was killed still reaches the catalog through the others. `gatepost usage` (the
report) and the quota Redis enforces are then one count, the report at most one interval behind.
"""

from __future__ import annotations

import asyncio
import logging

from gatepost.clock import Clock
from gatepost.stores.base import Catalog
from gatepost.stores.counters import CountersUnavailable
from gatepost.stores.counters_redis import RedisCounters
from gatepost.usage.limiter import day_of
from gatepost.usage.recorder import Batch, write_batch

log = logging.getLogger("gatepost.usage")


class UsageSync:
    def __init__(self, counters: RedisCounters, catalog: Catalog, clock: Clock) -> None:
        self.counters = counters
        self.catalog = catalog
        self.clock = clock
        self._written: dict[tuple[str, str], int] = {}  # (day, field) -> the total last written from here

    async def sync(self) -> int:
        """Copy what changed; the number of records written (0 while Redis is unreachable)."""
        now = self.clock.now()
        changed: Batch = {}
        days = sorted({day_of(now - 86_400), day_of(now)})
        try:
            for day in days:
                for fld, used in (await self.counters.day_usage(day)).items():
                    if self._written.get((day, fld)) != used:
                        key_id, _, plan = fld.partition("|")
                        changed[(day, key_id, plan)] = used
        except CountersUnavailable:
            return 0
        if changed:
            try:
                await asyncio.to_thread(write_batch, self.catalog, changed, True)
            except Exception:
                log.exception("usage.sync_failed records=%d (retried next time)", len(changed))
                return 0
        self._written = {k: v for k, v in self._written.items() if k[0] in days}
        self._written.update({(day, f"{key_id}|{plan}"): n for (day, key_id, plan), n in changed.items()})
        return len(changed)
