"""The keys of a built-in pool, for the `user_pool` authorizer: read in process from the pool's key ring
(no HTTP round trip), with the JwksSource interface token_verifier.py expects. A kid that is not known
triggers one reload from the catalog (at most once a second), so a rotation made by another process is
picked up before the watcher's next poll."""

from __future__ import annotations

import logging
from typing import NoReturn

from gatepost.authorizers.jwk_import import JwkEntry
from gatepost.authorizers.jwks import JwksSettings, JwksSource, KeyState
from gatepost.idp.pool import Pool
from gatepost.idp.registry import UserPools

log = logging.getLogger("gatepost.idp")


def _no_http() -> NoReturn:
    raise RuntimeError("a built-in pool's keys are read in process")


class BuiltinKeySource(JwksSource):
    def __init__(self, pools: UserPools, pool: Pool) -> None:
        super().__init__(pool.issuer, None, JwksSettings(), pools.services.clock, _no_http)
        self.pools = pools
        self.pool_id = pool.pool_id

    def usable(self, kid: str) -> JwkEntry | None:
        ring = self.pools.core.rings.get(self.pool_id)
        return ring.public(kid, self.clock.now()) if ring is not None else None

    async def key(self, kid: str) -> tuple[KeyState, JwkEntry | None]:
        entry = self.usable(kid)
        if entry is None and await self._reloaded():
            entry = self.usable(kid)
        if entry is not None:
            return KeyState.FOUND, entry
        ring = self.pools.core.rings.get(self.pool_id)
        if ring is None or not ring.jwks(self.clock.now())["keys"]:
            return KeyState.NO_KEYS, None
        return KeyState.UNKNOWN_KID, None

    async def _reloaded(self) -> bool:
        try:
            return await self.pools.reload_keys_soon()
        except Exception:  # fail closed
            log.exception("idp.key_reload_failed pool=%s", self.pool_id)
            return False

    async def start(self) -> None:
        """The gateway starts even when the pool cannot load (catalog or master key trouble): its routes
        fail closed (no keys) until a later start or request succeeds."""
        try:
            await self.pools.start()
        except Exception:
            log.exception("idp.start_failed pool=%s", self.pool_id)

    async def close(self) -> None:
        return None
