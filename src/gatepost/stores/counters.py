"""The Counters role: token buckets and quota counters, taken together, all or nothing.

One call per request: take one token from every bucket and count the request against the quota; when
any bucket is empty or the quota is used up nothing is taken (a rejected request consumes nothing).
Backends (every one passes tests/stores/test_counters_contract.py):

- `memory://` (counters_memory.py): one process; exact there. Quota usage survives a restart through
  the usage records in the catalog (usage/recorder.py).
- `redis://host:port/db` (counters_redis.py): one atomic Lua script (lua/admit.lua); every worker and
  every instance on the same Redis shares exact counts.

The time is an argument (`now`, wall seconds from the injected clock), so tests drive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol
from urllib.parse import urlsplit


class Outcome(Enum):
    ADMITTED = 0
    THROTTLED = 1
    QUOTA_EXCEEDED = 2


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    rate: float  # tokens per second
    burst: int  # bucket size


@dataclass(frozen=True, slots=True)
class Quota:
    key: str  # names the window, e.g. q:{k:abc}:gold:1767225600
    limit: int
    expires_at: float  # the window's end (wall seconds): the counter may be dropped after it


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    retry_after: float = 0.0  # seconds until a token is back (THROTTLED)
    used: int = 0  # requests counted in the quota window, this one included when ADMITTED

    @property
    def admitted(self) -> bool:
        return self.outcome is Outcome.ADMITTED


class CountersUnavailable(Exception):
    """The shared store cannot be reached (the message never carries a credential)."""


class Counters(Protocol):
    shared: bool  # True when several processes see the same counts

    async def admit(self, buckets: Sequence[Bucket], quota: Quota | None, now: float) -> Verdict: ...

    async def used(self, quota_key: str) -> int:
        """Requests counted so far under `quota_key` (0 when unknown)."""
        ...

    async def ping(self) -> None:
        """Raises CountersUnavailable when the store cannot be reached."""
        ...

    async def close(self) -> None: ...


def is_shared_url(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss", "unix")
