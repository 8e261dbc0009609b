"""API keys in the catalog: created (value generated, shown once) or imported, stored hashed, enabled or
disabled, named and tagged, rotated with a grace period; attached to usage plans by name.

Collections:
- `api_keys`        id -> {id, name, description, enabled, tags, hash, previous: [{hash, expires_at}], ...}
- `api_key_names`   name -> {id}          (names are unique: the CLI finds keys by id or name)
- `api_key_hashes`  sha256(value) -> {id}  (values are unique, as on AWS; a rotated-out value is never reused)
- `usage_plan_keys` "{plan}|{key id}" -> {plan, key_id, attached_at, throttle?, quota_limit?}

The value itself is never stored, logged or printed after creation: only its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.stores.base import Catalog, Doc

KEYS = "api_keys"
NAMES = "api_key_names"
HASHES = "api_key_hashes"
ATTACHMENTS = "usage_plan_keys"

VALUE = re.compile(r"^[A-Za-z0-9]{20,128}$")
_ALPHABET = string.ascii_letters + string.digits
_ID_ALPHABET = string.ascii_lowercase + string.digits


class ApiKeyError(ValueError):
    """A key operation that cannot be done; the message says why and never holds a key value."""


def hash_value(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


def generate_value() -> str:
    """40 alphanumeric characters, as AWS generates (about 238 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


def new_key_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def check_value(value: str) -> None:
    if not VALUE.match(value):
        raise ApiKeyError("an API key value must be 20 to 128 letters and digits (as AWS requires)")


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `24h`, `7d` -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if m is None:
        raise ApiKeyError(f"duration {text!r}: write it as 90s, 15m, 24h or 7d")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


@dataclass
class KeyStore:
    catalog: Catalog
    clock: Clock = SYSTEM_CLOCK

    # keys ---------------------------------------------------------------------------------------------
    def create(self, name: str, *, value: str | None = None, description: str = "",
               tags: Mapping[str, str] | None = None, enabled: bool = True) -> tuple[Doc, str]:
        """A new key; returns its document and its value (the only time the value is seen)."""
        if not name or len(name) > 1024:
            raise ApiKeyError("a key name must be 1 to 1024 characters")
        value = value if value is not None else generate_value()
        check_value(value)
        key_id = new_key_id()
        if not self.catalog.insert(NAMES, name, {"id": key_id}):
            raise ApiKeyError(f"a key named {name!r} exists already; choose another name")
        digest = hash_value(value)
        if not self.catalog.insert(HASHES, digest, {"id": key_id}):
            self.catalog.delete(NAMES, name)
            raise ApiKeyError("this value is already used by a key (values must be unique)")
        now = self.clock.now()
        doc = {"id": key_id, "name": name, "description": description, "enabled": enabled,
               "tags": dict(tags or {}), "hash": digest, "previous": [], "created_at": now, "updated_at": now}
        self.catalog.put(KEYS, key_id, doc)
        return doc, value

    def find(self, ref: str) -> Doc:
        """A key by id or name."""
        doc = self.catalog.get(KEYS, ref)
        if doc is None:
            named = self.catalog.get(NAMES, ref)
            doc = self.catalog.get(KEYS, named["id"]) if named else None
        if doc is None:
            raise ApiKeyError(f"no API key with id or name {ref!r} (see `gatepost keys list`)")
        return doc

    def all(self) -> list[Doc]:
        return [doc for _, doc in self.catalog.list(KEYS)]

    def set_enabled(self, ref: str, enabled: bool) -> Doc:
        key_id = self.find(ref)["id"]
        return self._update(key_id, lambda d: {**d, "enabled": enabled})

    def rotate(self, ref: str, grace: float, value: str | None = None) -> tuple[Doc, str]:
        """A new value for the same key (same id, plans and usage); the old value keeps working for `grace`
        seconds. Returns the document and the new value."""
        if grace < 0:
            raise ApiKeyError("the grace period cannot be negative")
        key_id = self.find(ref)["id"]
        value = value if value is not None else generate_value()
        check_value(value)
        digest = hash_value(value)
        if not self.catalog.insert(HASHES, digest, {"id": key_id}):
            raise ApiKeyError("this value is already used by a key (values must be unique)")
        now = self.clock.now()

        def rotate(doc: Doc) -> Doc:
            previous = [p for p in doc.get("previous", []) if p["expires_at"] > now]
            if grace > 0:
                previous.append({"hash": doc["hash"], "expires_at": now + grace})
            return {**doc, "hash": digest, "previous": previous, "rotated_at": now}

        return self._update(key_id, rotate), value

    def _update(self, key_id: str, fn: Any) -> Doc:
        now = self.clock.now()

        def apply(doc: Doc | None) -> Doc:
            if doc is None:
                raise ApiKeyError(f"API key {key_id} was deleted meanwhile")
            return {**fn(doc), "updated_at": now}

        result = self.catalog.update(KEYS, key_id, apply)
        assert result is not None
        return result

    # attachments ----------------------------------------------------------------------------------------
    def attachments(self, plan: str | None = None) -> list[Doc]:
        return [doc for _, doc in self.catalog.list(ATTACHMENTS, f"{plan}|" if plan else "")]

    def plans_of(self, key_id: str) -> list[Doc]:
        return [d for d in self.attachments() if d["key_id"] == key_id]

    def attach(self, plan: str, ref: str, *, stages: Mapping[str, set[tuple[str, str]]],
               throttle: Mapping[str, float] | None = None, quota_limit: int | None = None) -> Doc:
        """Attach a key to a plan. `stages` maps every configured plan to the API stages it covers: a key
        may be in several plans, but in only one plan per API stage (as AWS)."""
        if plan not in stages:
            known = ", ".join(sorted(stages)) or "none"
            raise ApiKeyError(f"no usage plan {plan!r} in the config (plans: {known})")
        key = self.find(ref)
        for other in self.plans_of(key["id"]):
            shared = stages.get(other["plan"], set()) & stages[plan]
            if other["plan"] != plan and shared:
                api, stage = sorted(shared)[0]
                raise ApiKeyError(f"key {key['name']!r} is already in plan {other['plan']!r}, which covers "
                                f"{api}/{stage} too; a key can be in only one plan per API stage")
        doc: Doc = {"plan": plan, "key_id": key["id"], "attached_at": self.clock.now()}
        existing = self.catalog.get(ATTACHMENTS, f"{plan}|{key['id']}")
        if existing is not None:
            doc["attached_at"] = existing["attached_at"]
        if throttle:
            doc["throttle"] = dict(throttle)
        if quota_limit is not None:
            doc["quota_limit"] = quota_limit
        self.catalog.put(ATTACHMENTS, f"{plan}|{key['id']}", doc)
        return doc

    def detach(self, plan: str, ref: str) -> bool:
        return self.catalog.delete(ATTACHMENTS, f"{plan}|{self.find(ref)['id']}")


def plan_stages(config: Any) -> dict[str, set[tuple[str, str]]]:
    """Plan name -> {(api name, stage)} from a GatewayConfig."""
    out: dict[str, set[tuple[str, str]]] = {}
    for name, plan in config.usage_plans.items():
        out[name] = set()
        for binding in plan.api_stages:
            api = config.apis[binding.api]
            stage = api.stage or ("prod" if api.flavour == "rest" else "$default")
            out[name].add((binding.api, binding.stage or stage))
    return out


def public_view(doc: Doc) -> Doc:
    """What the CLI shows of a key: never the hash of its value."""
    out = {k: v for k, v in doc.items() if k not in ("hash", "previous")}
    out["old_values_valid_until"] = [p["expires_at"] for p in doc.get("previous", [])]
    return out
