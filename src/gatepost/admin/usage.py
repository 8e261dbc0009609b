"""A key's usage per day (`gatepost usage KEY` and GET /admin/api-keys/{key}/usage), as AWS's GetUsage: one
report per plan the key is attached to (or the one plan asked for), `[used, remaining]` per UTC day."""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from gatepost.admin.operation import (
    ANY_OBJECT,
    STRING,
    Operation,
    Params,
    Scope,
    bad_request,
    items,
    not_found,
    refusal,
    view,
)
from gatepost.usage.keyring import Attachment
from gatepost.usage.keys import ApiKeyError, KeyStore
from gatepost.usage.report import get_usage

MAX_DAYS = 366
DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _day(text: str | None, default: float) -> str:
    if text is None:
        return time.strftime("%Y-%m-%d", time.gmtime(default))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    time.strptime(text, "%Y-%m-%d")
    return text


def _epoch(day: str) -> int:
    return calendar.timegm(time.strptime(day, "%Y-%m-%d"))


def usage(scope: Scope, p: Params) -> dict[str, Any]:
    try:
        last = _day(p.get("to"), time.time())
        first = _day(p.get("from"), _epoch(last) - 6 * 86400)
    except ValueError:
        raise bad_request("write days as YYYY-MM-DD") from None
    if (_epoch(last) - _epoch(first)) // 86400 >= MAX_DAYS:
        raise bad_request(f"report at most {MAX_DAYS} days at a time")
    try:
        store = KeyStore(scope.catalog)
        key = store.find(p["key"])
        attached = {a["plan"]: a for a in store.plans_of(key["id"])}
        names = [p["plan"]] if p.get("plan") else sorted(attached)
        if not names:
            raise bad_request(f"key {key['name']!r} is in no usage plan; use --plan PLAN to report one anyway")
        reports = []
        for name in names:
            plan = scope.config.usage_plans.get(name)
            if plan is None:
                raise not_found(f"no usage plan {name!r} in {scope.config_path}")
            a = attached.get(name)
            att = Attachment(name, float(a["attached_at"]), quota_limit=a.get("quota_limit")) if a else None
            reports.append(get_usage(scope.catalog, name, plan, key["id"], first, last, att))
    except (ApiKeyError, ValueError) as exc:
        raise refusal(exc) from None
    return {"items": reports}


REPORT = view(["usagePlanId", "startDate", "endDate", "items"], usagePlanId=STRING, startDate=STRING,
              endDate=STRING, items=ANY_OBJECT)

OPERATIONS = [
    Operation("GetUsage", "GET", "/admin/api-keys/{key}/usage", "a key's usage per UTC day in each of its plans "
              "(`from`, `to`: YYYY-MM-DD, by default the last 7 days; `plan`: only this plan)", usage,
              items(REPORT), query={"from": DAY, "to": DAY, "plan": {"type": "string", "minLength": 1}},
              refusals=(400, 404)),
]
