"""What is counted, apart from where it is stored: the token bucket and the quota windows.

- Token bucket (AWS's throttle): `burst` tokens at most, refilled at `rate` tokens per second; a request
  takes one token or is throttled. A full bucket is the same as no bucket, so stores may forget it.
- Quota windows, in UTC: DAY starts at 00:00, WEEK on Monday 00:00 (as AWS), MONTH on the 1st 00:00.

The memory store calls these functions; the Redis store's Lua script (stores/lua/admit.lua) does the same
arithmetic, and one contract suite (tests/stores/test_counters_contract.py) holds both to it.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True)
class BucketState:
    tokens: float
    at: float  # the time `tokens` was computed (wall seconds)

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, tokens: float, at: float) -> None:
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "at", at)


def refill(state: BucketState | None, rate: float, burst: int, now: float) -> float:
    """Tokens available at `now`. Time running backwards (clock step) refills nothing."""
    if state is None:
        return float(burst)
    return min(float(burst), state.tokens + max(0.0, now - state.at) * rate)


def retry_after(tokens: float, rate: float) -> float:
    """Seconds until one whole token is back."""
    return max(0.0, (1.0 - tokens) / rate)


def seconds_to_full(burst: int, rate: float) -> float:
    """How long an untouched bucket needs to refill entirely: after that, its state can be dropped."""
    return burst / rate


@dataclass(frozen=True)
class Window:
    start: int  # epoch seconds, UTC
    end: int

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, start: int, end: int) -> None:
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def day(self) -> str:
        return day_of(self.start)


def quota_window(period: str, now: float) -> Window:
    t = time.gmtime(now)
    day_start = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
    if period == "DAY":
        return Window(day_start, day_start + DAY)
    if period == "WEEK":
        start = day_start - t.tm_wday * DAY  # tm_wday: Monday is 0
        return Window(start, start + 7 * DAY)
    if period == "MONTH":
        start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
        year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
        return Window(start, calendar.timegm((year, month, 1, 0, 0, 0)))
    raise ValueError(f"unknown quota period {period!r}")


def effective_limit(limit: int, offset: int, window: Window, attached_at: float) -> int:
    """AWS's `offset`: requests subtracted from the limit in the initial period, which Gatepost takes to
    be the window in which the key was attached to the plan."""
    if offset and window.start <= attached_at < window.end:
        return max(0, limit - offset)
    return limit


_day_text: tuple[int, str] = (-1, "")  # the last day formatted (day_of runs per keyed request)


def day_of(epoch: float) -> str:
    global _day_text
    day = int(epoch // DAY)
    if _day_text[0] != day:
        _day_text = (day, time.strftime("%Y-%m-%d", time.gmtime(day * DAY)))
    return _day_text[1]


def days_between(first: str, last: str) -> list[str]:
    """Every UTC day from `first` to `last` (YYYY-MM-DD), both included."""
    start = calendar.timegm(time.strptime(first, "%Y-%m-%d"))
    end = calendar.timegm(time.strptime(last, "%Y-%m-%d"))
    return [day_of(t) for t in range(start, end + 1, DAY)]
