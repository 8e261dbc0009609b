"""Usage plans compiled for one API: which limits one keyed request is held to.

For a request, the bucket is the plan's per-method override for the route (`/path/GET`, or `/path/*` /
`/path/ANY` for every method) when there is one, else the key's own override (`plans attach-key --rate`),
else the plan's throttle. The quota is per key and plan, across every API stage of the plan (as AWS),
with the key's own limit when it has one and AWS's `offset` in the initial window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from gatepost.matching import Match
from gatepost.stores.counters import Bucket, Quota
from gatepost.usage.config import QuotaConfig, UsagePlanConfig, split_method_key
from gatepost.usage.keyring import Attachment
from gatepost.usage.limiter import Window, effective_limit, quota_window

ALL_METHODS = ("*", "ANY")
LIMITS_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Limits:
    buckets: tuple[Bucket, ...]
    quota: Quota | None
    window: Window | None


@dataclass(frozen=True, slots=True)
class CompiledPlan:
    name: str
    throttle: tuple[float, int] | None
    quota: QuotaConfig | None
    methods: Mapping[tuple[str, str], tuple[float, int]]  # (resource path, METHOD | * | ANY) -> (rate, burst)
    # (resource path, method, key id, attachment) -> (limits, valid from, valid until): the bucket and quota
    # keys and the quota window are the same for every request of a key in one window; built once per window
    _cache: dict[tuple[str, str, str, Attachment], tuple[Limits, float, float]] = field(
        default_factory=dict, compare=False, repr=False)

    def limits(self, match: Match, key_id: str, att: Attachment, now: float) -> Limits:
        k = (match.resource_path, match.method, key_id, att)
        hit = self._cache.get(k)
        if hit is not None and hit[1] <= now < hit[2]:
            return hit[0]
        limits = Limits(self._buckets(match, key_id, att), *self._quota(key_id, att, now))
        if len(self._cache) >= LIMITS_CACHE_SIZE:
            self._cache.clear()
        window = limits.window
        self._cache[k] = (limits, *((window.start, window.end) if window else (-math.inf, math.inf)))
        return limits

    def _buckets(self, match: Match, key_id: str, att: Attachment) -> tuple[Bucket, ...]:
        path = match.resource_path
        for method in (match.method, *ALL_METHODS):
            override = self.methods.get((path, method))
            if override is not None:
                return (Bucket(f"tb:{{k:{key_id}}}:{self.name}:{path}/{method}", *override),)
        if att.rate is not None and att.burst is not None:
            return (Bucket(f"tb:{{k:{key_id}}}:{self.name}", att.rate, att.burst),)
        if self.throttle is not None:
            return (Bucket(f"tb:{{k:{key_id}}}:{self.name}", *self.throttle),)
        return ()

    def _quota(self, key_id: str, att: Attachment, now: float) -> tuple[Quota | None, Window | None]:
        if self.quota is None and att.quota_limit is None:
            return None, None
        period = self.quota.period if self.quota is not None else "DAY"
        window = quota_window(period, now)
        return Quota(self.quota_key(key_id, period, window), self.limit_for(att, window), window.end), window

    def limit_for(self, att: Attachment, window: Window) -> int:
        if att.quota_limit is not None:
            return att.quota_limit
        assert self.quota is not None
        return effective_limit(self.quota.limit, self.quota.offset, window, att.attached_at)

    def quota_key(self, key_id: str, period: str, window: Window) -> str:
        return f"q:{{k:{key_id}}}:{self.name}:{period[0]}:{window.start}"


def compile_plan(name: str, plan: UsagePlanConfig, api_name: str) -> CompiledPlan:
    methods: dict[tuple[str, str], tuple[float, int]] = {}
    for binding in plan.api_stages:
        if binding.api == api_name:
            for key, t in binding.throttle.items():
                methods[split_method_key(key)] = (t.rate, t.burst)
    throttle = (plan.throttle.rate, plan.throttle.burst) if plan.throttle else None
    return CompiledPlan(name, throttle, plan.quota, methods)
