"""The running gateway's snapshot of API keys and plan attachments, rebuilt off the request path.

`load_ring` reads the catalog (in a thread, from the catalog watcher) and builds plain dicts; the
request path only does `ring.lookup(value, now)`: one SHA-256 and one dict lookup, then a constant-time
comparison of the digests. A CLI change (disable, rotate, attach) reaches the gateway within a second.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from gatepost.stores.base import Catalog
from gatepost.usage.keys import ATTACHMENTS, KEYS, hash_value


@dataclass(frozen=True, slots=True)
class KeyEntry:
    key_id: str
    name: str
    enabled: bool
    digest: str
    expires_at: float | None = None  # set for a rotated-out value still in its grace period


@dataclass(frozen=True, slots=True)
class Attachment:
    plan: str
    attached_at: float
    rate: float | None = None  # per-key throttle override
    burst: int | None = None
    quota_limit: int | None = None  # per-key quota override


@dataclass(frozen=True, slots=True)
class KeyRing:
    by_digest: Mapping[str, KeyEntry] = field(default_factory=dict)
    plans: Mapping[str, Mapping[str, Attachment]] = field(default_factory=dict)  # key id -> plan -> attachment

    def lookup(self, value: str, now: float) -> KeyEntry | None:
        digest = hash_value(value)
        entry = self.by_digest.get(digest)
        if entry is None or not hmac.compare_digest(entry.digest, digest):
            return None
        if entry.expires_at is not None and entry.expires_at <= now:
            return None
        return entry

    def attachments(self, key_id: str) -> Mapping[str, Attachment]:
        return self.plans.get(key_id, {})


EMPTY_RING = KeyRing()


def load_ring(catalog: Catalog) -> KeyRing:
    by_digest: dict[str, KeyEntry] = {}
    for key_id, doc in catalog.list(KEYS):
        enabled = bool(doc.get("enabled", True))
        name = str(doc.get("name", ""))
        for old in doc.get("previous", []):
            by_digest[old["hash"]] = KeyEntry(key_id, name, enabled, old["hash"], float(old["expires_at"]))
        by_digest[doc["hash"]] = KeyEntry(key_id, name, enabled, doc["hash"])
    plans: dict[str, dict[str, Attachment]] = {}
    for _, doc in catalog.list(ATTACHMENTS):
        throttle = doc.get("throttle") or {}
        plans.setdefault(doc["key_id"], {})[doc["plan"]] = Attachment(
            doc["plan"], float(doc.get("attached_at", 0.0)), throttle.get("rate"), throttle.get("burst"),
            doc.get("quota_limit"))
    return KeyRing(by_digest, plans)
