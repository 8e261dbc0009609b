"""Counters for one process: dicts, exact within the process (the event loop makes `admit` atomic).

Bucket states are dropped once they would be full again, quota counters once their window ended, so
memory follows the active callers, not every caller ever seen.
"""

from __future__ import annotations

from collections.abc import Sequence

from gatepost.stores.counters import Bucket, Outcome, Quota, Record, Verdict
from gatepost.usage.limiter import BucketState, refill, retry_after, seconds_to_full

SWEEP_EVERY = 4096


class MemoryCounters:
    shared = False

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[BucketState, float]] = {}  # key -> (state, droppable after)
        self._quotas: dict[str, tuple[int, float]] = {}  # key -> (used, expires_at)
        self._ops = 0

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        return self.admit_now(buckets, quota, now)

    def admit_now(self, buckets: Sequence[Bucket], quota: Quota | None, now: float) -> Verdict:
        self._ops += 1
        if self._ops % SWEEP_EVERY == 0:
            self.sweep(now)
        tokens = []
        wait = 0.0
        for b in buckets:
            entry = self._buckets.get(b.key)
            t = refill(entry[0] if entry else None, b.rate, b.burst, now)
            tokens.append(t)
            if t < 1.0:
                wait = max(wait, retry_after(t, b.rate))
        if wait > 0:
            return Verdict(Outcome.THROTTLED, retry_after=wait)
        used = 0
        if quota is not None:
            used = self._quotas.get(quota.key, (0, 0.0))[0]
            if used + 1 > quota.limit:
                return Verdict(Outcome.QUOTA_EXCEEDED, used=used)
        for b, t in zip(buckets, tokens, strict=True):
            entry = self._buckets.get(b.key)
            at = max(entry[0].at, now) if entry else now
            self._buckets[b.key] = (BucketState(t - 1.0, at), at + seconds_to_full(b.burst, b.rate))
        if quota is not None:
            used += 1
            self._quotas[quota.key] = (used, quota.expires_at)
        return Verdict(Outcome.ADMITTED, used=used)

    def over_quota(self, quota: Quota, now: float) -> bool:
        """`admit_now((), quota, now)` when only a quota counts (a Web ACL's rate rule): True when the quota is
        used up (the request is then not counted)."""
        self._ops += 1
        if self._ops % SWEEP_EVERY == 0:
            self.sweep(now)
        used = self._quotas.get(quota.key, (0, 0.0))[0]
        if used >= quota.limit:
            return True
        self._quotas[quota.key] = (used + 1, quota.expires_at)
        return False

    def seed(self, quota_key: str, used: int, expires_at: float) -> None:
        """Start a quota counter from persisted usage (a restart); counts already made are kept."""
        current = self._quotas.get(quota_key, (0, expires_at))[0]
        self._quotas[quota_key] = (max(current, used), expires_at)

    def sweep(self, now: float) -> None:
        for key in [k for k, (_, drop) in self._buckets.items() if drop <= now]:
            del self._buckets[key]
        for key in [k for k, (_, exp) in self._quotas.items() if exp <= now]:
            del self._quotas[key]

    async def used(self, quota_key: str) -> int:
        return self._quotas.get(quota_key, (0, 0.0))[0]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._buckets.clear()
        self._quotas.clear()

    def __len__(self) -> int:
        return len(self._buckets) + len(self._quotas)
