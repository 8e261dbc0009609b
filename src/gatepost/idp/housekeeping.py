"""Forget what no longer matters, so that strangers cannot grow the catalog without bound: failed-sign-in
counts past `forget_after_seconds` (unknown usernames included), expired refresh tokens, and revoked
sessions whose tokens have all expired. Blocking: the registry runs it in a thread every few hundred calls."""

from __future__ import annotations

from collections.abc import Iterable

from gatepost.idp.lockout import ATTEMPTS
from gatepost.idp.pool import Pool
from gatepost.idp.sessions import REFRESH, REVOKED
from gatepost.stores.base import Catalog


def prune(catalog: Catalog, pools: Iterable[Pool], now: float) -> int:
    gone = 0
    for pool in pools:
        forget = pool.config.lockout.forget_after_seconds
        prefix = f"{pool.pool_id}/"
        for key, doc in catalog.list(ATTEMPTS, prefix=prefix):
            if now >= doc.get("locked_until", 0) and now - doc.get("last_failure", 0) >= forget:
                gone += catalog.delete(ATTEMPTS, key)
        for key, doc in catalog.list(REFRESH, prefix=prefix):
            if now >= doc.get("expires_at", 0):
                gone += catalog.delete(REFRESH, key)
        for key, doc in catalog.list(REVOKED, prefix=prefix):
            if now >= doc.get("until", 0):
                gone += catalog.delete(REVOKED, key)
    return gone
