"""Usage-plan throttles and quotas on one process (memory counters), driven by the injected clock."""

from __future__ import annotations

import calendar
import time

from keyed import keyed_config, new_key

from gatepost.clock import ManualClock
from gatepost.stores.memory import MemoryCatalog
from support import run_gateway

MONDAY = calendar.timegm((2026, 1, 5, 0, 0, 0))  # a Monday


def test_throttle_is_a_token_bucket_with_retry_after(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url, rate=2, burst=3), clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 200]
        r = gw.get("/keyed", headers=h)
        assert r.status_code == 429 and r.json() == {"message": "Too Many Requests"}
        assert r.headers["x-amzn-errortype"] == "TooManyRequestsException"
        assert r.headers["retry-after"] == "1"
        clock.advance(0.5)  # 2 tokens/s: one token back
        assert [gw.get("/keyed", headers=h).status_code for _ in range(2)] == [200, 429]
        clock.advance(10)  # never more than the burst
        assert [gw.get("/keyed", headers=h).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert upstream.count == 7


def test_per_method_override_and_per_key_override(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    _, big = new_key(catalog, "big", clock=clock, throttle={"rate": 1, "burst": 6})
    with run_gateway(keyed_config(upstream.url, rate=100, burst=4), clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/limited", headers=h).status_code for _ in range(3)] == [200, 200, 429]  # "/limited/GET"
        assert [gw.get("/keyed", headers=h).status_code for _ in range(5)] == [200] * 4 + [429]  # its own bucket
        hb = {"x-api-key": big}
        assert [gw.get("/keyed", headers=hb).status_code for _ in range(7)] == [200] * 6 + [429]


def test_quota_per_day_limit_exceeded_until_midnight_utc(upstream, clock: ManualClock) -> None:
    clock.set(MONDAY + 23 * 3600)  # 23:00 UTC
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url, limit=3), clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(3)] == [200, 200, 200]
        r = gw.get("/keyed", headers=h)
        assert r.status_code == 429 and r.json() == {"message": "Limit Exceeded"}
        assert r.headers["x-amzn-errortype"] == "LimitExceededException"
        assert r.headers["retry-after"] == "3600"
        clock.advance(3599)
        assert gw.get("/keyed", headers=h).status_code == 429
        clock.advance(1)  # 00:00 UTC: a new day
        assert [gw.get("/keyed", headers=h).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert upstream.count == 6


def test_rejected_requests_consume_no_quota(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url, rate=1, burst=1, limit=2), clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(5)] == [200, 429, 429, 429, 429]
        clock.advance(1)
        assert gw.get("/keyed", headers=h).status_code == 200  # the throttled ones did not count
        clock.advance(1)
        assert gw.get("/keyed", headers=h).json() == {"message": "Limit Exceeded"}
        clock.advance(1)  # a quota rejection takes no throttle token either
        assert gw.get("/keyed", headers=h).json() == {"message": "Limit Exceeded"}


def test_week_quota_starts_monday_and_headers_count_down(upstream, clock: ManualClock) -> None:
    clock.set(MONDAY + 6 * 86400 + 3600)  # Sunday 01:00 UTC
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url, limit=2, period="WEEK", quota_headers=True)
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        r = gw.get("/keyed", headers=h)
        assert (r.headers["ratelimit-limit"], r.headers["ratelimit-remaining"]) == ("2", "1")
        assert r.headers["ratelimit-reset"] == str(23 * 3600)  # until Monday 00:00 UTC
        assert gw.get("/keyed", headers=h).headers["ratelimit-remaining"] == "0"
        r = gw.get("/keyed", headers=h)
        assert r.status_code == 429 and r.headers["ratelimit-remaining"] == "0"
        clock.set(MONDAY + 7 * 86400)
        assert gw.get("/keyed", headers=h).headers["ratelimit-remaining"] == "1"
        assert "ratelimit-limit" not in gw.get("/open").headers


def test_offset_applies_to_the_initial_period_only(upstream, clock: ManualClock) -> None:
    clock.set(MONDAY + 3600)
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url, limit=3).replace("period: DAY}", "period: DAY, offset: 2}")
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(2)] == [200, 429]
        clock.advance(86400)
        assert [gw.get("/keyed", headers=h).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_per_key_quota_override(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock, quota_limit=1)
    with run_gateway(keyed_config(upstream.url, limit=100), clock=clock, catalog=catalog) as gw:
        h = {"x-api-key": value}
        assert [gw.get("/keyed", headers=h).status_code for _ in range(2)] == [200, 429]


def test_month_windows_are_calendar_months() -> None:
    from gatepost.usage.limiter import quota_window

    w = quota_window("MONTH", calendar.timegm((2026, 12, 31, 23, 0, 0)))
    assert time.gmtime(w.start)[:3] == (2026, 12, 1) and time.gmtime(w.end)[:3] == (2027, 1, 1)
    w = quota_window("WEEK", calendar.timegm((2026, 1, 4, 23, 59, 59)))  # a Sunday
    assert time.gmtime(w.start)[:3] == (2025, 12, 29) and time.gmtime(w.start).tm_wday == 0
    w = quota_window("DAY", calendar.timegm((2028, 2, 29, 12, 0, 0)))
    assert w.end - w.start == 86400 and time.gmtime(w.start)[:3] == (2028, 2, 29)
