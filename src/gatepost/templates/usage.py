"""`AWS::ApiGateway::UsagePlan`, `ApiKey`, `UsagePlanKey` -> native usage plans and the first start's key.

Plans are config (usage_plans:); keys live in the catalog. A template key (with its `Value`, or generated)
attached to a plan becomes `usage.demo_key`: created on the first start and printed once. Only one key can
be created that way; any other is listed with the command that creates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.templates.intrinsics import Resolver, of_type
from gatepost.usage.keys import VALUE as KEY_VALUE

PLAN = "AWS::ApiGateway::UsagePlan"
KEY = "AWS::ApiGateway::ApiKey"
PLAN_KEY = "AWS::ApiGateway::UsagePlanKey"


@dataclass
class Usage:
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    demo_key: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def collect(resolver: Resolver, api_ids: Mapping[str, str], stages: Mapping[str, str | None]) -> Usage:
    """api_ids: API id -> native API name; stages: native API name -> its stage."""
    usage = Usage()
    plan_ids: dict[str, str] = {}
    for logical_id, props in of_type(resolver, PLAN):
        plan_ids[logical_id] = logical_id
        api_stages = []
        for entry in props.get("ApiStages") or []:
            api = api_ids.get(str(entry.get("ApiId")))
            if api is None:
                usage.notes.append(f"usage plan {logical_id}: API {entry.get('ApiId')!r} is not served here; skipped")
                continue
            api_stages.append({"api": api})
        if not api_stages:
            usage.notes.append(f"usage plan {logical_id}: covers no API served here; not created")
            continue
        plan: dict[str, Any] = {"description": str(props.get("Description", "")), "api_stages": api_stages}
        throttle = props.get("Throttle") or {}
        if throttle.get("RateLimit") is not None:
            plan["throttle"] = {"rate": float(throttle["RateLimit"]),
                                "burst": int(throttle.get("BurstLimit") or max(1, int(throttle["RateLimit"])))}
        quota = props.get("Quota") or {}
        if quota.get("Limit") is not None:
            plan["quota"] = {"limit": int(quota["Limit"]), "period": str(quota.get("Period", "DAY")).upper(),
                             "offset": int(quota.get("Offset", 0))}
        usage.plans[logical_id] = plan
    keys = {logical_id: props for logical_id, props in of_type(resolver, KEY)}
    for _plan_key, props in of_type(resolver, PLAN_KEY):
        key, plan_id = str(props.get("KeyId")), str(props.get("UsagePlanId"))
        if key not in keys or plan_id not in usage.plans:
            continue
        demo: dict[str, Any] = {"name": str(keys[key].get("Name") or key), "plan": plan_id}
        if keys[key].get("Value"):
            demo["value"] = str(keys[key]["Value"])
            if not KEY_VALUE.match(demo["value"]):
                usage.notes.append(f"API key {key}: its Value is not 20 to 128 letters and digits, which API Gateway "
                                   "refuses too; it is not created: fix the Value, or remove it for a generated one")
                continue
        if usage.demo_key is None:
            usage.demo_key = demo
        else:
            usage.notes.append(f"API key {key} (plan {plan_id}): create it with `gatepost keys create {demo['name']} "
                               f"--plan {plan_id} --config TEMPLATE` (one template key is created on first start)")
    return usage
