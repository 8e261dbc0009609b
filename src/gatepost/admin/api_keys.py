"""API keys (`gatepost keys ...` and /admin/api-keys): create or import, list, enable or disable, rotate.

A key's value is in the answer of CreateApiKey and RotateApiKey only; lists show the public view (never the
value or its hash). Keys are found by id or name.
"""

from __future__ import annotations

from typing import Any

from gatepost.admin.operation import (
    BOOL,
    NAME,
    NUMBER,
    STRING,
    TAGS,
    Operation,
    Params,
    Scope,
    items,
    nullable,
    obj,
    refusal,
    view,
)
from gatepost.usage.keys import ApiKeyError, KeyStore, parse_duration, plan_stages, public_view

KEY_VIEW = view(["id", "name", "enabled"], id=STRING, name=STRING, description=STRING, enabled=BOOL, tags=TAGS,
               created_at=NUMBER, updated_at=NUMBER, rotated_at=NUMBER,
               old_values_valid_until={"type": "array", "items": NUMBER},
               plans={"type": "array", "items": STRING})
CREATED = view(["id", "name", "value"], id=STRING, name=STRING, value=STRING, enabled=BOOL, plan=nullable(STRING))
ROTATED = view(["id", "name", "value", "grace_seconds"], id=STRING, name=STRING, value=STRING,
              grace_seconds=NUMBER, old_value_valid_until=nullable(NUMBER))
VALUE = {"type": "string", "minLength": 1, "maxLength": 1024}


def _store(scope: Scope) -> KeyStore:
    return KeyStore(scope.catalog)


def create(scope: Scope, p: Params) -> dict[str, Any]:
    store = _store(scope)
    try:
        doc, value = store.create(p["name"], value=p.get("value"), description=p.get("description", ""),
                                  tags=p.get("tags") or {}, enabled=p.get("enabled", True))
        if p.get("plan"):
            store.attach(p["plan"], doc["id"], stages=plan_stages(scope.config))
    except ApiKeyError as exc:
        raise refusal(exc) from None
    return {"id": doc["id"], "name": doc["name"], "value": value, "enabled": doc["enabled"], "plan": p.get("plan")}


def list_keys(scope: Scope, p: Params) -> dict[str, Any]:
    store = _store(scope)
    plans: dict[str, list[str]] = {}
    for att in store.attachments():
        plans.setdefault(att["key_id"], []).append(att["plan"])
    return {"items": [{**public_view(doc), "plans": sorted(plans.get(doc["id"], []))} for doc in store.all()]}


def update(scope: Scope, p: Params) -> dict[str, Any]:
    try:
        doc = _store(scope).set_enabled(p["key"], p["enabled"])
    except ApiKeyError as exc:
        raise refusal(exc) from None
    return {**public_view(doc), "plans": sorted(a["plan"] for a in _store(scope).plans_of(doc["id"]))}


def rotate(scope: Scope, p: Params) -> dict[str, Any]:
    store = _store(scope)
    try:
        grace = parse_duration(str(p.get("grace", "0")))
        doc, value = store.rotate(p["key"], grace, p.get("value"))
    except ApiKeyError as exc:
        raise refusal(exc) from None
    until = max((e["expires_at"] for e in doc.get("previous", [])), default=None) if grace else None
    return {"id": doc["id"], "name": doc["name"], "value": value, "grace_seconds": grace,
            "old_value_valid_until": until}


OPERATIONS = [
    Operation("CreateApiKey", "POST", "/admin/api-keys", "create a key (a generated value, or `value` to import "
              "one); the value is in this answer only", create, CREATED, status=201, refusals=(400, 404, 409),
              body=obj(["name"], name=NAME, description={"type": "string", "maxLength": 4096}, tags=TAGS,
                       enabled=BOOL, plan=NAME, value=VALUE)),
    Operation("GetApiKeys", "GET", "/admin/api-keys", "every key with its plans (never values)", list_keys,
              items(KEY_VIEW), refusals=()),
    Operation("UpdateApiKey", "PATCH", "/admin/api-keys/{key}", "enable or disable a key (by id or name)", update,
              KEY_VIEW, body=obj(["enabled"], enabled=BOOL), refusals=(400, 404)),
    Operation("RotateApiKey", "POST", "/admin/api-keys/{key}/rotate", "give a key a new value (in this answer "
              "only); the old one works for `grace` (0, 90s, 15m, 24h, 7d)", rotate, ROTATED,
              body=obj(grace={"type": "string", "maxLength": 32}, value=VALUE), refusals=(400, 404, 409)),
]
