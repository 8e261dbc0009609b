"""Usage reports shaped like AWS's GetUsage: per key and day, `[used, remaining]`.

`remaining` is what was left of the quota at the end of that day (the window's limit minus the requests
counted from the window's start through that day); `null` when the plan has no quota. Built from the usage
records (usage/recorder.py), which running gateways write about once a second.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from gatepost.stores.base import Catalog
from gatepost.usage.config import UsagePlanConfig
from gatepost.usage.keyring import Attachment
from gatepost.usage.limiter import days_between, quota_window
from gatepost.usage.plans import compile_plan
from gatepost.usage.recorder import usage_of_key


def _epoch(day: str) -> int:
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


def get_usage(catalog: Catalog, plan_name: str, plan: UsagePlanConfig, key_id: str, first: str, last: str,
              attachment: Attachment | None = None) -> dict[str, Any]:
    if _epoch(first) > _epoch(last):
        raise ValueError(f"--from {first} is after --to {last}")
    days = days_between(first, last)
    compiled = compile_plan(plan_name, plan, "")
    att = attachment or Attachment(plan_name, 0.0)
    period = plan.quota.period if plan.quota else "DAY"
    since = quota_window(period, _epoch(first)).day
    used = {d: n for (d, p), n in usage_of_key(catalog, key_id, days_between(since, last)).items() if p == plan_name}
    items = []
    for day in days:
        n = used.get(day, 0)
        if plan.quota is None and att.quota_limit is None:
            items.append([n, None])
            continue
        window = quota_window(period, _epoch(day))
        in_window = sum(used.get(d, 0) for d in days_between(window.day, day))
        items.append([n, max(0, compiled.limit_for(att, window) - in_window)])
    return {"usagePlanId": plan_name, "startDate": first, "endDate": last, "items": {key_id: items}}
