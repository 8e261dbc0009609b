"""What happens when the shared counters (Redis) cannot be reached: the `usage.on_counter_failure` policy.

- `local` (default): count in this process meanwhile, so partners are not cut off (each process then
  allows the limits on its own); one warning when it starts, one line when it ends.
- `fail_closed`: keyed and throttled requests get 503 until the store is back.

Either way a background probe pings the store every half second and switches back by itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from gatepost.stores.counters import Bucket, Counters, CountersUnavailable, Quota, Verdict
from gatepost.stores.counters_memory import MemoryCounters

log = logging.getLogger("gatepost.usage")


class FallbackCounters:
    shared = True

    def __init__(self, primary: Counters, policy: str = "local", probe_interval: float = 0.5) -> None:
        self.primary = primary
        self.policy = policy
        self.probe_interval = probe_interval
        self.local = MemoryCounters()
        self.down = False
        self._probe: asyncio.Task[None] | None = None

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float) -> Verdict:
        if not self.down:
            try:
                return await self.primary.admit(buckets, quota, now)
            except CountersUnavailable as exc:
                self._went_down(str(exc))
        if self.policy == "fail_closed":
            raise CountersUnavailable("shared counters unreachable")
        return self.local.admit_now(buckets, quota, now)

    def _went_down(self, error: str) -> None:
        if self.down:
            return
        self.down = True
        then = "answering 503" if self.policy == "fail_closed" else "counting per process meanwhile"
        log.warning("usage.counters_unavailable error=%s policy=%s: %s", error, self.policy, then)
        self._probe = asyncio.get_running_loop().create_task(self._probe_until_up(), name="gatepost-counters-probe")

    async def _probe_until_up(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            try:
                await self.primary.ping()
            except CountersUnavailable:
                continue
            self.down = False
            log.warning("usage.counters_recovered: shared counting resumed")
            return

    async def used(self, quota_key: str) -> int:
        return await self.primary.used(quota_key)

    async def ping(self) -> None:
        await self.primary.ping()

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        await self.primary.close()
        await self.local.close()
