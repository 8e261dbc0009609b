"""Temporary, escalating lock-out after failed sign-ins, per (pool, username, source address).

After `max_failures` failures the next attempts from that address are refused without checking the
password for `first_lock_seconds`, doubling with each further failure up to `max_lock_seconds`. Attempts
made during a lock are not counted, so a lock never outlasts `max_lock_seconds` after the last counted
failure, and failures are forgotten `forget_after_seconds` after the last one. Because the count belongs
to the source address, a stranger failing on purpose locks only themselves out: the user, signing in
from their own address, is never locked by someone else. Unknown usernames are counted and locked the
same way, so the answers reveal nothing about which users exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.idp.config import LockoutConfig
from gatepost.stores.base import Doc

ATTEMPTS = "idp_attempts"


def attempts_key(pool_id: str, username: str, source: str) -> str:
    return f"{pool_id}/{username.lower()}/{source}"


@dataclass(frozen=True, slots=True)
class Attempts:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0

    @classmethod
    def of(cls, doc: Doc | None) -> Attempts:
        if doc is None:
            return cls()
        return cls(int(doc.get("failures", 0)), float(doc.get("last_failure", 0)), float(doc.get("locked_until", 0)))

    def as_doc(self) -> Doc:
        return {"failures": self.failures, "last_failure": self.last_failure, "locked_until": self.locked_until}

    def locked(self, now: float) -> bool:
        return now < self.locked_until

    def after_failure(self, now: float, cfg: LockoutConfig) -> Attempts:
        failures = self.failures
        if self.locked(now):
            return self  # not counted: a lock cannot be stretched by hammering it
        if now - self.last_failure >= cfg.forget_after_seconds:
            failures = 0
        failures += 1
        locked_until = self.locked_until
        if failures >= cfg.max_failures:
            lock = min(cfg.max_lock_seconds, cfg.first_lock_seconds * 2 ** min(failures - cfg.max_failures, 30))
            locked_until = now + lock
        return Attempts(failures, now, locked_until)
