"""What the catalog knows of current usage (`Seeds`): where counters start when they lost their counts.

Memory counters after a restart, a Redis restarted without persistence (refill), and the per-process
fallback while Redis is unreachable all start from here instead of zero.
"""

from __future__ import annotations

from collections.abc import Iterable

from gatepost.stores.base import Catalog
from gatepost.stores.counters import Seeds
from gatepost.usage.limiter import day_of, days_between, quota_window
from gatepost.usage.plans import CompiledPlan
from gatepost.usage.recorder import USAGE, usage_by_key


def catalog_seeds(catalog: Catalog, plans: Iterable[CompiledPlan], now: float) -> Seeds:
    quotas: dict[str, tuple[int, float]] = {}
    for plan in plans:
        if plan.quota is None:
            continue
        window = quota_window(plan.quota.period, now)
        for (key_id, plan_name), used in usage_by_key(catalog, days_between(window.day, day_of(now))).items():
            if plan_name == plan.name:
                quotas[plan.quota_key(key_id, plan.quota.period, window)] = (used, window.end)
    days: dict[tuple[str, str], int] = {}
    for day in sorted({day_of(now - 86_400), day_of(now)}):
        for _, doc in catalog.list(USAGE, f"{day}|"):
            days[(day, f"{doc['key_id']}|{doc['plan']}")] = int(doc["used"])
    return Seeds(quotas, days)
