"""One contract for every Counters backend (memory, Redis): the token bucket and quota arithmetic of
usage/limiter.py, all-or-nothing admission, and exact counts under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gatepost.stores.counters import Bucket, Counters, Outcome, Quota
from gatepost.stores.counters_open import open_counters
from gatepost.stores.counters_redis import RedisCounters

T0 = 1_767_225_600.0


@pytest.fixture(params=["memory", "redis"])
async def counters(request: pytest.FixtureRequest) -> AsyncIterator[Counters]:
    if request.param == "memory":
        c = open_counters("memory://")
    else:
        # The arithmetic, not the outage policy: a generous time limit, as the gateway's 0.5 s one also fires
        # when this process was stalled (a loaded machine) past it while Redis's answer was already there.
        c = RedisCounters(request.getfixturevalue("redis_url"), timeout=30.0)
    yield c
    await c.close()


def _b(key: str = "b", rate: float = 2.0, burst: int = 3) -> Bucket:
    return Bucket(key, rate, burst)


async def test_a_fresh_bucket_allows_the_burst_then_throttles(counters: Counters) -> None:
    outcomes = [(await counters.admit([_b()], None, T0)).outcome for _ in range(4)]
    assert outcomes == [Outcome.ADMITTED] * 3 + [Outcome.THROTTLED]
    v = await counters.admit([_b()], None, T0 + 0.1)  # 0.2 tokens back: 0.4 s to a whole one
    assert v.outcome is Outcome.THROTTLED and v.retry_after == pytest.approx(0.4, abs=0.002)


async def test_refill_at_rate_capped_at_burst(counters: Counters) -> None:
    for _ in range(3):
        await counters.admit([_b()], None, T0)
    assert (await counters.admit([_b()], None, T0 + 0.5)).admitted  # one token back
    assert not (await counters.admit([_b()], None, T0 + 0.5)).admitted
    later = [(await counters.admit([_b()], None, T0 + 100)).admitted for _ in range(4)]
    assert later == [True, True, True, False]


async def test_fractional_rates(counters: Counters) -> None:
    b = _b(rate=0.25, burst=1)
    assert (await counters.admit([b], None, T0)).admitted
    v = await counters.admit([b], None, T0 + 1)
    assert not v.admitted and v.retry_after == pytest.approx(3.0, abs=0.002)
    assert (await counters.admit([b], None, T0 + 4)).admitted


async def test_time_going_backwards_refills_nothing(counters: Counters) -> None:
    b = _b(rate=1, burst=1)
    assert (await counters.admit([b], None, T0 + 10)).admitted
    assert not (await counters.admit([b], None, T0 + 5)).admitted
    assert not (await counters.admit([b], None, T0 + 10.5)).admitted  # the clock step gave nothing back
    assert (await counters.admit([b], None, T0 + 11)).admitted


async def test_all_or_nothing_across_buckets(counters: Counters) -> None:
    small, big = _b("small", 1, 1), _b("big", 1, 10)
    assert (await counters.admit([big, small], None, T0)).admitted
    for _ in range(5):
        assert not (await counters.admit([big, small], None, T0)).admitted
    # `big` lost only the one token of the admitted request
    assert [(await counters.admit([big], None, T0)).admitted for _ in range(10)] == [True] * 9 + [False]


async def test_quota_counts_to_the_limit_and_rejections_count_nothing(counters: Counters) -> None:
    q = Quota("q:one", 3, T0 + 86400)
    used = [(await counters.admit([], q, T0)) for _ in range(5)]
    assert [v.outcome for v in used] == [Outcome.ADMITTED] * 3 + [Outcome.QUOTA_EXCEEDED] * 2
    assert [v.used for v in used] == [1, 2, 3, 3, 3]
    assert await counters.used("q:one") == 3
    assert await counters.used("q:other") == 0


async def test_a_quota_rejection_takes_no_token_and_a_throttle_counts_no_quota(counters: Counters) -> None:
    b = _b(rate=1, burst=2)
    full = Quota("q:full", 0, T0 + 86400)
    assert (await counters.admit([b], full, T0)).outcome is Outcome.QUOTA_EXCEEDED
    assert [(await counters.admit([b], None, T0)).admitted for _ in range(3)] == [True, True, False]
    q = Quota("q:open", 10, T0 + 86400)
    assert (await counters.admit([b], q, T0)).outcome is Outcome.THROTTLED
    assert await counters.used("q:open") == 0


async def test_concurrent_admissions_are_exact(counters: Counters) -> None:
    q = Quota("q:race", 50, T0 + 86400)
    b = _b("race", rate=1000, burst=80)
    verdicts = await asyncio.gather(*(counters.admit([b], q, T0) for _ in range(200)))
    assert sum(v.admitted for v in verdicts) == 50
    assert await counters.used("q:race") == 50
    assert sorted(v.used for v in verdicts if v.admitted) == list(range(1, 51))


async def test_ping(counters: Counters) -> None:
    await counters.ping()


async def test_a_counters_url_names_its_backend(redis_url: str) -> None:
    shared = open_counters(redis_url)
    assert isinstance(shared, RedisCounters)
    await shared.close()
    with pytest.raises(ValueError, match="memory://"):
        open_counters("ftp://example.net")
