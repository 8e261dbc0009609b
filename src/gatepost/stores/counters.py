"""The Counters role: token buckets and quota counters, taken together, all or nothing.

One call per request: take one token from every bucket and count the request against the quota; when
any bucket is empty or the quota is used up nothing is taken (a rejected request consumes nothing).
Backends (every one passes tests/stores/test_counters_contract.py):

- `memory://` (counters_memory.py): one process; exact there. Quota usage survives a restart through
  the usage records in the catalog (usage/recorder.py).
- `redis://host:port/db` (counters_redis.py): one atomic Lua script (lua/admit.lua) per batch of a
  process's concurrent requests, each decided in order as if alone; every worker and every instance on
  the same Redis shares exact counts. The same script counts the request in the day's
  usage record (`Record`), which usage/sync.py copies to the catalog: what is enforced and what is
  reported are one count. A Redis that lost its data is refilled from the catalog (`Seeds`) first.

The time is an argument (`now`, wall seconds from the injected clock), so tests drive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol
from urllib.parse import urlsplit


class Outcome(Enum):
    ADMITTED = 0
    THROTTLED = 1
    QUOTA_EXCEEDED = 2


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second
    burst: int  # bucket size

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, key: str, rate: float, burst: int) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "burst", burst)


@dataclass(frozen=True)
class Quota:
    key: str  # names the window, e.g. q:{k:abc}:gold:1767225600
    limit: int
    expires_at: float  # the window's end (wall seconds): the counter may be dropped after it

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, key: str, limit: int, expires_at: float) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "limit", limit)
        object.__setattr__(self, "expires_at", expires_at)


@dataclass(frozen=True)
class Record:
    """The usage record an admitted keyed request counts in: (UTC day, "{key id}|{plan}")."""

    day: str
    field: str

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, day: str, field: str) -> None:
        object.__setattr__(self, "day", day)
        object.__setattr__(self, "field", field)


@dataclass(frozen=True)
class Seeds:
    """Usage known to the catalog: quota counters of the current windows and today's/yesterday's records."""

    quotas: dict[str, tuple[int, float]] = field(default_factory=dict)  # quota key -> (used, expires_at)
    days: dict[tuple[str, str], int] = field(default_factory=dict)  # (day, field) -> used


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    retry_after: float = 0.0  # seconds until a token is back (THROTTLED)
    used: int = 0  # requests counted in the quota window, this one included when ADMITTED

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, outcome: Outcome, retry_after: float = 0.0, used: int = 0) -> None:
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "retry_after", retry_after)
        object.__setattr__(self, "used", used)

    @property
    def admitted(self) -> bool:
        return self.outcome is Outcome.ADMITTED


class CountersUnavailable(Exception):
    """The shared store cannot be reached (the message never carries a credential)."""


class Counters(Protocol):
    shared: bool  # True when several processes see the same counts

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float,
                    record: Record | None = None) -> Verdict:
        """`record`: the usage record to count an admitted request in (shared backends; memory ignores it:
        its usage is written by usage/recorder.py)."""
        ...

    async def used(self, quota_key: str) -> int:
        """Requests counted so far under `quota_key` (0 when unknown)."""
        ...

    async def ping(self) -> None:
        """Raises CountersUnavailable when the store cannot be reached."""
        ...

    async def close(self) -> None: ...


def is_shared_url(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss", "unix")
