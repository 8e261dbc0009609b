"""RateBasedStatement: requests per aggregation key in an evaluation window, counted in the gateway's counter
store (state.counters), the one usage plans use: exact across workers and instances on Redis.

Windows are fixed, `EvaluationWindowSec` long (60, 120, 300 or 600) and aligned to the clock; a key's first
`Limit` requests in a window pass and every later one matches (AWS counts over a sliding window and checks
every few seconds: Gatepost is stricter at the window's start and never later). A request that the
ScopeDownStatement does not match, or that lacks an aggregation key, is not counted and does not match.
Counter keys carry the caller's IP address, or a digest of custom keys (never a header or cookie value).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gatepost.stores.counters import Quota
from gatepost.waf.fields import Field
from gatepost.waf.inspection import Inspection
from gatepost.waf.ipsets import ForwardedIP, canonical_ip, client_ip
from gatepost.waf.statements import Statement
from gatepost.waf.transforms import Transform

WINDOWS = (60, 120, 300, 600)
QUOTAS_MAX = 4096  # recent aggregation keys whose window quota is kept built
# quota -> True when the request is over the limit (it is then not counted)
Admit = Callable[[Quota, float], Awaitable[bool]]


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

    __slots__ = ("aggregate", "counter_prefix", "forwarded", "hashed", "keys", "limit", "quotas", "scope_down",
                 "window")

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
        self.quotas: dict[str, Quota] = {}  # the current window's quota per aggregation key (built once)

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

    async def match(self, insp: Inspection, admit: Admit) -> bool:
        if self.scope_down is not None and not self.scope_down.match(insp):
            return False
        return await self.in_scope(insp, admit)

    async def in_scope(self, insp: Inspection, admit: Admit) -> bool:
        """A request the ScopeDownStatement matched (or any, without one): counted, and over the limit?"""
        quota = self.quota(insp)
        if quota is None or quota is True:
            return quota is True
        return await admit(quota, insp.now)  # type: ignore[arg-type]

    def quota(self, insp: Inspection) -> Quota | bool | None:
        """The counter this request counts against; None: not counted (no aggregation key); True: it matches
        without counting (FallbackBehavior MATCH)."""
        key = self.aggregation_key(insp)
        if key is None or key is True:
            return key
        quota = self.quotas.get(key)  # type: ignore[arg-type]
        if quota is None or not quota.expires_at - self.window <= insp.now < quota.expires_at:
            quota = self._quota(key, insp.now)  # type: ignore[arg-type]
        return quota

    def _quota(self, key: str, now: float) -> Quota:
        start = int(now // self.window) * self.window
        name = hashlib.sha256(key.encode("latin-1", "replace")).hexdigest()[:24] if self.hashed else key
        quota = Quota(f"{self.counter_prefix}{start}:{name}", self.limit, start + self.window)
        if len(self.quotas) >= QUOTAS_MAX:
            self.quotas.clear()
        self.quotas[key] = quota
        return quota
