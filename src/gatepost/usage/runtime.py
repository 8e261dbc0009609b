"""What the usage gates and caller throttles of one gateway share (kept in `services.extras["usage"]`):
the key ring snapshot, the counters, the usage recorder and, for memory counters, the catalog lease.

Built at load (no I/O), started once in the event loop (open the store, take the lease, restore quota
counts, start the flush task), closed once (flush, release). Counter failures follow the failure policy;
a fail-closed store answers 503 (SERVICE_UNAVAILABLE).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from gatepost.errors import GatewayError, ResponseType
from gatepost.services import Services
from gatepost.stores.counters import (
    Bucket,
    Counters,
    CountersUnavailable,
    Quota,
    Record,
    Seeds,
    Verdict,
    is_shared_url,
)
from gatepost.stores.counters_memory import MemoryCounters
from gatepost.stores.counters_redis import RedisCounters
from gatepost.usage.config import UsageSettings
from gatepost.usage.fallback import FallbackCounters
from gatepost.usage.keyring import EMPTY_RING, KeyRing, load_ring
from gatepost.usage.keys import ATTACHMENTS, KEYS
from gatepost.usage.lease import CountersLease
from gatepost.usage.plans import CompiledPlan
from gatepost.usage.recorder import UsageRecorder
from gatepost.usage.seeds import catalog_seeds
from gatepost.usage.sync import UsageSync

log = logging.getLogger("gatepost.usage")

EXTRA = "usage"


class UsageRuntime:
    def __init__(self, services: Services, settings: UsageSettings) -> None:
        self.services = services
        self.clock = services.clock
        self.settings = settings
        self.url = str(services.settings.get("counters", "memory://"))
        self.ring: KeyRing = EMPTY_RING
        self.counters: Counters | None = None
        self.recorder = UsageRecorder(services.catalog)
        self.plans: dict[str, CompiledPlan] = {}  # every plan some API of this gateway uses, for restores
        self.lease: CountersLease | None = None
        self.sync: UsageSync | None = None  # Redis counters: their usage records to the catalog
        self._flusher: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()  # binds to the loop at first use (Python 3.10+)
        self._state = "built"
        services.watcher.subscribe(KEYS, self.reload)
        services.watcher.subscribe(ATTACHMENTS, self.reload)

    @classmethod
    def of(cls, services: Services, settings: UsageSettings) -> UsageRuntime:
        runtime = services.extras.get(EXTRA)
        if runtime is None:
            runtime = services.extras[EXTRA] = cls(services, settings)
        return runtime

    def check_processes(self) -> None:
        """Per-process counters with several workers would multiply every limit: refuse at load."""
        if not is_shared_url(self.url) and self.services.workers > 1:
            raise ValueError(
                f"state.counters is {self.url} (per process) but the gateway runs {self.services.workers} workers: "
                "each would allow the whole quota and throttle; set state.counters: redis://HOST:6379/0, "
                "or run one worker")

    async def reload(self) -> None:
        self.ring = await asyncio.to_thread(load_ring, self.services.catalog)

    async def start(self) -> None:
        if self._state != "built":
            return
        self._state = "started"
        if is_shared_url(self.url):
            primary = RedisCounters(self.url, seeds=self._seeds)
            self.sync = UsageSync(primary, self.services.catalog, self.clock)
            self.counters = FallbackCounters(primary, self.settings.on_counter_failure)
        else:
            memory = MemoryCounters()
            self.lease = CountersLease(self.services.catalog, self.clock)
            await asyncio.to_thread(self.lease.acquire)
            await asyncio.to_thread(self._restore, memory)
            self.counters = memory
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop(), name="gatepost-usage-flush")

    def _restore(self, memory: MemoryCounters) -> None:
        """Quota counts of the current windows, from the usage records (memory counters only)."""
        for key, (used, expires_at) in catalog_seeds(self.services.catalog, self.plans.values(),
                                                     self.clock.now()).quotas.items():
            memory.seed(key, used, expires_at)

    async def _seeds(self, now: float) -> Seeds:
        return await asyncio.to_thread(catalog_seeds, self.services.catalog, list(self.plans.values()), now)

    async def _write_usage(self) -> None:
        if self.sync is not None:
            await self.sync.sync()
        await self.recorder.flush()

    def count(self, day: str, key_id: str, plan: str) -> None:
        """An admitted keyed request, for the usage records (Redis counts it itself, in admit.lua)."""
        if self.sync is None:
            self.recorder.count(day, key_id, plan)

    async def _flush_loop(self) -> None:
        """Never cancelled mid-write: `close` sets `_stop` and waits for the loop to end."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.settings.flush_interval)
            await self._write_usage()
            if self.lease is not None and not self._stop.is_set():
                try:
                    await asyncio.to_thread(self.lease.renew)
                except Exception:
                    log.exception("usage.lease_renew_failed")

    async def close(self) -> None:
        if self._state != "started":
            return
        self._state = "closed"
        self._stop.set()
        if self._flusher is not None:
            await self._flusher
        await self._write_usage()
        if self.lease is not None:
            await asyncio.to_thread(self.lease.release)
        if self.counters is not None:
            await self.counters.close()

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        assert self.counters is not None, "the gateway was not started"
        try:
            return await self.counters.admit(buckets, quota, now, record)
        except CountersUnavailable:
            raise GatewayError(ResponseType.SERVICE_UNAVAILABLE, "usage.counters_unavailable") from None
