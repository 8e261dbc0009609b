"""Where a Web ACL's rate-based rules count: the gateway's counter store (state.counters, shared with usage plans)
seen through the two questions rate.py asks. A store that cannot answer follows state.counters' failure policy
(FallbackCounters); when that policy refuses, the request gets a 503 (waf.counters_unavailable). The previous
window's count is not read while the store is known to be down (the request counts without it meanwhile)."""

from __future__ import annotations

from gatepost.errors import GatewayError, ResponseType
from gatepost.stores.counters import Counters, CountersUnavailable, Outcome, Quota
from gatepost.stores.counters_memory import MemoryCounters
from gatepost.waf.rate import RateCounters


class StoreCounters:
    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    async def over(self, quota: Quota, now: float) -> bool:
        try:
            verdict = await self.counters.admit((), quota, now)
        except CountersUnavailable:  # fail closed (state.counters' failure policy decided it)
            raise GatewayError(ResponseType.SERVICE_UNAVAILABLE, "waf.counters_unavailable") from None
        return verdict.outcome is Outcome.QUOTA_EXCEEDED

    async def used(self, quota_key: str) -> int | None:
        if getattr(self.counters, "down", False):  # a known outage: no read to wait for on every new key
            return None
        try:
            return await self.counters.used(quota_key)
        except CountersUnavailable:  # counted without the previous window; `over` applies the failure policy
            return None


class ProcessCounters:
    """Memory counters (one process): counted in place, nothing to wait for or to fail."""

    def __init__(self, counters: MemoryCounters) -> None:
        self.counters = counters

    async def over(self, quota: Quota, now: float) -> bool:
        return self.counters.over_quota(quota, now)

    async def used(self, quota_key: str) -> int | None:
        return await self.counters.used(quota_key)


class NotStarted:
    async def over(self, quota: Quota, now: float) -> bool:
        raise AssertionError("the gateway was not started")

    async def used(self, quota_key: str) -> int | None:
        raise AssertionError("the gateway was not started")


def rate_counters(counters: Counters | None) -> RateCounters:
    if counters is None:
        return NotStarted()
    if isinstance(counters, MemoryCounters):
        return ProcessCounters(counters)
    return StoreCounters(counters)
