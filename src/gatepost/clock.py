"""Time, injected everywhere it matters: the gateway uses SystemClock, tests use ManualClock."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, seconds since the epoch (token expiry, quota windows, SigV4 skew)."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds (TTLs, token buckets, timeouts)."""
        ...


class SystemClock:
    __slots__ = ()

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to: `advance(seconds)`. Wall and monotonic move together."""

    __slots__ = ("_mono", "_wall")

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._wall = start
        self._mono = 1000.0

    def now(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._wall += seconds
        self._mono += seconds

    def set(self, wall: float) -> None:
        self._mono += wall - self._wall
        self._wall = wall


SYSTEM_CLOCK = SystemClock()
