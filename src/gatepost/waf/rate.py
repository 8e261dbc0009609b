"""RateBasedStatement: requests per aggregation key over the trailing `EvaluationWindowSec` (60, 120, 300 or
600 s), counted in the gateway's counter store (state.counters), the one usage plans use: exact across workers
and instances on Redis.

AWS counts the requests of the trailing window. Gatepost counts per fixed window of that length, aligned to the
clock, and estimates the trailing window's count as the current window's count plus the previous window's,
weighted by the share of the previous window still inside the trailing one (the estimate many rate limiters
use: it assumes the previous window's requests were spread evenly). A request passes, and is counted, while
that estimate stays under `Limit`; a request over it matches and is not counted. When the previous window is
empty the count is exact. docs/web-acls.md states the worst cases. The previous window's count is read once per
key and window by each process (its counter is kept one window longer for that).

A request that the ScopeDownStatement does not match, or that lacks an aggregation key, is not counted and does
not match. Counter keys carry the caller's IP address, or a digest of custom keys (never a header or cookie value).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Protocol

from gatepost.stores.counters import Quota
from gatepost.waf.fields import Field
from gatepost.waf.inspection import Inspection
from gatepost.waf.ipsets import ForwardedIP, canonical_ip, client_ip
from gatepost.waf.statements import Statement
from gatepost.waf.transforms import Transform

WINDOWS = (60, 120, 300, 600)
WINDOWS_MAX = 4096  # recent aggregation keys whose current window is kept built


class RateCounters(Protocol):
    """Where rate-based rules count: the gateway's counter store (gate.py), or memory counters in tests."""

    async def over(self, quota: Quota, now: float) -> bool:
        """Counts one request against `quota`; True when the quota is used up (the request is then not counted)."""
        ...

    async def used(self, quota_key: str) -> int | None:
        """Requests counted under `quota_key` (None: the store cannot tell now)."""
        ...


class Window:
    """One aggregation key's current window: its counter, and the previous window's count once read."""

    __slots__ = ("end", "previous", "previous_key", "quota")

    def __init__(self, quota: Quota, end: float, previous_key: str) -> None:
        self.quota = quota  # the current window's counter at the full Limit; it outlives the window by one window
        self.end = end
        self.previous_key = previous_key
        self.previous: int | None = None  # not read yet

    def estimate_quota(self, now: float, length: int) -> Quota:
        """The counter with the room the previous window leaves: Limit - ceil(previous x its share still in the
        trailing window)."""
        if not self.previous:
            return self.quota
        carried = math.ceil(self.previous * (self.end - now) / length - 1e-9)
        return Quota(self.quota.key, self.quota.limit - carried, self.quota.expires_at)


@dataclass(frozen=True, slots=True)
class CustomKey:
    """One of CustomKeys: a component (with transformations), the caller's IP, a forwarded IP or a label namespace."""

    kind: str
    field: Field | None = None
    transform: Transform | None = None
    namespace: str = ""

    def value(self, insp: Inspection, forwarded: ForwardedIP | None) -> str | None:
        if self.kind == "IP":
            return None if client_ip(insp) is None else canonical_ip(insp.req.source_ip)
        if self.kind == "ForwardedIP":
            return _forwarded(insp, forwarded)
        if self.kind == "LabelNamespace":
            found = sorted(label for label in insp.labels if label.startswith(self.namespace))
            return ",".join(found) or None
        assert self.field is not None and self.transform is not None
        values = self.field.values(insp)
        if isinstance(values, bool) or not values:
            return None
        return self.transform(values[-1])


def _forwarded(insp: Inspection, forwarded: ForwardedIP | None) -> str | None:
    if forwarded is None:
        return None
    addresses = forwarded.addresses(insp)
    if not addresses or addresses[0] is None:
        return None
    return str(addresses[0])


class RateBased:
    """Not a `Statement`: it is only ever a rule's top-level statement (AWS forbids nesting it) and awaits."""

    __slots__ = ("aggregate", "counter_prefix", "forwarded", "hashed", "keys", "limit", "scope_down", "window",
                 "windows")

    def __init__(self, counter_prefix: str, limit: int, window: int, aggregate: str,
                 scope_down: Statement | None, forwarded: ForwardedIP | None, keys: tuple[CustomKey, ...]) -> None:
        self.counter_prefix = counter_prefix  # waf:{acl}:{rule}:
        self.limit = limit
        self.window = window
        self.aggregate = aggregate  # IP | FORWARDED_IP | CUSTOM_KEYS | CONSTANT
        self.scope_down = scope_down
        self.forwarded = forwarded
        self.keys = keys
        self.hashed = aggregate == "CUSTOM_KEYS"  # IP addresses are kept as they are
        self.windows: dict[str, Window] = {}  # the current window per recent aggregation key (built once)

    def aggregation_key(self, insp: Inspection) -> str | bool | None:
        """The key's text; None: not counted; True: FallbackBehavior MATCH (no valid forwarded address)."""
        if self.aggregate == "CONSTANT":
            return ""
        if self.aggregate == "IP":
            return None if client_ip(insp) is None else canonical_ip(insp.req.source_ip)
        if self.aggregate == "FORWARDED_IP":
            assert self.forwarded is not None
            addresses = self.forwarded.addresses(insp)
            if addresses is None:
                return None
            if addresses[0] is None:
                return True if self.forwarded.fallback_match else None
            return str(addresses[0])
        parts = []
        for key in self.keys:
            value = key.value(insp, self.forwarded)
            if value is None:
                return None
            parts.append(value)
        return "\x00".join(parts)

    async def match(self, insp: Inspection, counters: RateCounters) -> bool:
        if self.scope_down is not None and not self.scope_down.match(insp):
            return False
        return await self.in_scope(insp, counters)

    async def in_scope(self, insp: Inspection, counters: RateCounters) -> bool:
        """A request the ScopeDownStatement matched (or any, without one): counted, and over the limit?"""
        quota = self.quota(insp)
        if quota is None or quota is True:
            return quota is True
        if isinstance(quota, Window):
            quota = await self.learn(quota, insp.now, counters)
        return await counters.over(quota, insp.now)  # type: ignore[arg-type]

    def quota(self, insp: Inspection) -> Quota | Window | bool | None:
        """The counter this request counts against (with the room the previous window leaves); None: not
        counted (no aggregation key); True: it matches without counting (FallbackBehavior MATCH); a Window: the
        previous window's count is not known here yet (`learn` it first)."""
        key = self.aggregation_key(insp)
        if key is None or key is True:
            return key
        now = insp.now
        window = self.windows.get(key)  # type: ignore[arg-type]
        if window is None or not window.end - self.window <= now < window.end:
            window = self._window(key, now)  # type: ignore[arg-type]
        if window.previous is None:
            return window
        return window.estimate_quota(now, self.window)

    async def learn(self, window: Window, now: float, counters: RateCounters) -> Quota:
        """Reads the previous window's count (once per key and window; again later if the store cannot tell)."""
        window.previous = await counters.used(window.previous_key)
        if window.previous is None:
            return window.quota
        return window.estimate_quota(now, self.window)

    def _window(self, key: str, now: float) -> Window:
        start = int(now // self.window) * self.window
        name = hashlib.sha256(key.encode("latin-1", "replace")).hexdigest()[:24] if self.hashed else key
        quota = Quota(f"{self.counter_prefix}{start}:{name}", self.limit, start + 2 * self.window)
        window = Window(quota, start + self.window, f"{self.counter_prefix}{start - self.window}:{name}")
        if len(self.windows) >= WINDOWS_MAX:
            self.windows.clear()
        self.windows[key] = window
        return window
