"""Revoked sessions, in memory, for routes with `check_revocation: true`: origin_jti -> until, per pool.

Replaced (never mutated) when `idp_revoked` changes in the catalog (any process: the watcher, within a
second) or right after this process revoked something. Listeners (the authorizers) then drop the revoked
tokens from their verified-token caches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gatepost.clock import Clock


class Revocations:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._revoked: Mapping[str, Mapping[str, float]] = {}
        self._listeners: list[Callable[[], None]] = []

    def is_revoked(self, pool_id: str, claims: Mapping[str, Any]) -> bool:
        origin = claims.get("origin_jti")
        if not isinstance(origin, str):
            return False
        until = self._revoked.get(pool_id, {}).get(origin)
        return until is not None and self.clock.now() < until

    def replace(self, snapshot: Mapping[str, Mapping[str, float]]) -> None:
        self._revoked = snapshot
        for listener in self._listeners:
            listener()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def __len__(self) -> int:
        return sum(len(v) for v in self._revoked.values())
