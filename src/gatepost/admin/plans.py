"""Usage plans (`gatepost plans ...` and /admin/usage-plans): the config's plans, and the keys attached to
them in the catalog (a key in only one plan per API stage, as AWS; optionally with its own limits)."""

from __future__ import annotations

from typing import Any

from gatepost.admin.operation import (
    ANY_OBJECT,
    INT,
    NAME,
    NUMBER,
    STRING,
    Operation,
    Params,
    Scope,
    items,
    not_found,
    nullable,
    obj,
    refusal,
    view,
)
from gatepost.usage.keys import ApiKeyError, KeyStore, plan_stages

LIMITS = view(rate=NUMBER, burst=INT)
PLAN_ROW = view(["name", "keys"], name=STRING, stages={"type": "array", "items": {"type": "array", "items": STRING}},
                throttle=nullable(LIMITS), quota=nullable(ANY_OBJECT), keys=INT, in_config={"type": "boolean"})
ATTACHMENT = view(["plan", "key_id"], plan=STRING, key_id=STRING, attached_at=NUMBER, throttle=LIMITS,
                  quota_limit=INT)


def list_plans(scope: Scope, p: Params) -> dict[str, Any]:
    attachments = KeyStore(scope.catalog).attachments()
    stages = plan_stages(scope.config)
    rows: list[dict[str, Any]] = []
    for name, plan in scope.config.usage_plans.items():
        rows.append({"name": name, "stages": [list(s) for s in sorted(stages[name])],
                     "throttle": plan.throttle.model_dump() if plan.throttle else None,
                     "quota": plan.quota.model_dump() if plan.quota else None,
                     "keys": sum(1 for a in attachments if a["plan"] == name), "in_config": True})
    for name in sorted({a["plan"] for a in attachments} - set(scope.config.usage_plans)):
        rows.append({"name": name, "stages": [], "throttle": None, "quota": None,
                     "keys": sum(a["plan"] == name for a in attachments), "in_config": False})
    return {"items": rows}


def show(scope: Scope, p: Params) -> dict[str, Any]:
    plan = scope.config.usage_plans.get(p["plan"])
    if plan is None:
        raise not_found(f"no usage plan {p['plan']!r} in {scope.config_path}")
    keys: list[dict[str, Any]] = []
    for att in KeyStore(scope.catalog).attachments(p["plan"]):
        doc = scope.catalog.get("api_keys", att["key_id"]) or {}
        entry: dict[str, Any] = {"id": att["key_id"], "name": doc.get("name"), "enabled": doc.get("enabled")}
        entry.update({k: att[k] for k in ("throttle", "quota_limit") if k in att})
        keys.append(entry)
    return {"name": p["plan"], **plan.model_dump(exclude_none=True), "keys": keys}


def attach(scope: Scope, p: Params) -> dict[str, Any]:
    rate, burst, quota = p.get("rate"), p.get("burst"), p.get("quota_limit")
    if (rate is None) != (burst is None):
        raise refusal(ValueError("give --rate and --burst together"))
    if (rate is not None and rate <= 0) or (burst is not None and burst < 1):
        raise refusal(ValueError("--rate must be above 0 and --burst at least 1"))
    if quota is not None and quota < 0:
        raise refusal(ValueError("--quota-limit cannot be negative"))
    throttle = {"rate": rate, "burst": burst} if rate is not None else None
    try:
        return KeyStore(scope.catalog).attach(p["plan"], p["key"], stages=plan_stages(scope.config),
                                              throttle=throttle, quota_limit=quota)
    except ApiKeyError as exc:
        raise refusal(exc) from None


def detach(scope: Scope, p: Params) -> dict[str, Any]:
    try:
        found = KeyStore(scope.catalog).detach(p["plan"], p["key"])
    except ApiKeyError as exc:
        raise refusal(exc) from None
    if not found:
        raise not_found(f"key {p['key']!r} is not attached to plan {p['plan']!r}")
    return {"plan": p["plan"], "key": p["key"]}


OPERATIONS = [
    Operation("GetUsagePlans", "GET", "/admin/usage-plans", "the config's plans with their limits and key counts "
              "(and plans keys are attached to that the config no longer has)", list_plans, items(PLAN_ROW),
              refusals=()),
    Operation("GetUsagePlan", "GET", "/admin/usage-plans/{plan}", "one plan: stages, limits and attached keys",
              show, view(["name", "keys"], name=STRING, keys={"type": "array", "items": ANY_OBJECT}),
              refusals=(404,)),
    Operation("CreateUsagePlanKey", "POST", "/admin/usage-plans/{plan}/keys", "attach a key (id or name) to a "
              "plan, optionally with its own throttle or quota limit", attach, ATTACHMENT, status=201,
              body=obj(["key"], key=NAME, rate=NUMBER, burst=INT, quota_limit=INT), refusals=(400, 404, 409)),
    Operation("DeleteUsagePlanKey", "DELETE", "/admin/usage-plans/{plan}/keys/{key}", "detach a key from a plan",
              detach, view(["plan", "key"], plan=STRING, key=STRING), refusals=(404,)),
]
