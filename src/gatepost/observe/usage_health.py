"""Read at scrape time, off the request path: refusals per usage plan (throttle, quota) and the health of the
shared counters (Redis) when `state.counters` is `redis://`.

    gatepost_usage_plan_throttles_total{api, plan}          429 Too Many Requests from the plan's throttle
    gatepost_usage_plan_quota_rejections_total{api, plan}   429 Limit Exceeded: the plan's quota was used
    gatepost_redis_up                                        1 while every worker reaches Redis, else 0
    gatepost_redis_errors_total                              failed Redis calls (requests and probes)
    gatepost_redis_last_failure_timestamp_seconds            when the last one failed (0: never)

Labels are plan names from the config, never key ids. The Redis rows exist only with Redis counters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from gatepost.usage.fallback import FallbackCounters

RedisRow = list[float] | None  # [up, errors, last failure]


def plan_rows(gw: Any) -> Iterator[list[Any]]:
    """[api, plan, throttled, quota exceeded] for every plan covering an API (zeros included)."""
    for api in gw.apis:
        rejections = getattr(api.usage, "rejections", None)
        for plan, (throttled, over_quota) in sorted((rejections or {}).items()):
            yield [api.name, plan, throttled, over_quota]


def redis_row(gw: Any) -> RedisRow:
    runtime = gw.services.extras.get("usage")
    counters = getattr(runtime, "counters", None)
    if not isinstance(counters, FallbackCounters):
        return None
    primary = counters.primary
    return [0 if counters.down else 1, primary.errors, primary.last_failure]


def merge_redis(rows: list[RedisRow]) -> RedisRow:
    """Several workers: up only if every worker is; errors add up; the latest failure."""
    present = [r for r in rows if r is not None]
    if not present:
        return None
    return [min(r[0] for r in present), sum(r[1] for r in present), max(r[2] for r in present)]


def redis_families(row: RedisRow) -> Iterator[Metric]:
    if row is None:
        return
    up, errors, last = row
    gauge = GaugeMetricFamily("gatepost_redis_up", "1 while every worker reaches the Redis counters")
    gauge.add_metric([], up)
    yield gauge
    counter = CounterMetricFamily("gatepost_redis_errors", "Failed calls to the Redis counters (probes included)")
    counter.add_metric([], errors)
    yield counter
    when = GaugeMetricFamily("gatepost_redis_last_failure_timestamp_seconds",
                             "Unix time of the last failed call to the Redis counters (0: none)")
    when.add_metric([], last)
    yield when
