"""UserPools: the built-in pools of one gateway process (in `services.extras`), shared by the endpoints
(endpoints.py) and the `user_pool` authorizers that name a pool with `builtin:`.

Start (once, off the event loop): create missing pool records and first keys, load the keys, client
secrets and revoked sessions, then follow the catalog (`services.watcher`) so that a rotation, a new
client secret or a revocation made by another process or the CLI arrives within a second. Everything
blocking (catalog, argon2, RSA) runs in threads, at most `hashing.max_concurrent` at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from gatepost.idp.admin_auth import AdminAuth
from gatepost.idp.core import IdpCore
from gatepost.idp.housekeeping import prune
from gatepost.idp.keys import KEYS
from gatepost.idp.pool import Pool, compile_pools
from gatepost.idp.revocation import Revocations
from gatepost.idp.sessions import REVOKED
from gatepost.idp.state import POOLS

if TYPE_CHECKING:
    from gatepost.idp.config import UserPoolConfig
    from gatepost.services import Services

log = logging.getLogger("gatepost.idp")
EXTRAS_KEY = "idp.pools"
PRUNE_EVERY = 500  # IdP calls between two housekeeping passes (housekeeping.py)
T = TypeVar("T")


class UserPools:
    def __init__(self, pools: dict[str, Pool], services: Services) -> None:
        self.services = services
        self.core = IdpCore(pools, services.catalog, services.clock, services.config_dir)
        self.revocations = Revocations(services.clock)
        self.admin: AdminAuth | None = None
        self._started = False
        self._lock = asyncio.Lock()
        limit = min((p.config.hashing.max_concurrent for p in pools.values()), default=4)
        self._gate = asyncio.Semaphore(limit)
        self._last_key_reload = float("-inf")
        self._calls = 0

    @classmethod
    def install(cls, user_pools: Mapping[str, UserPoolConfig], host: str, port: int,
                services: Services) -> UserPools | None:
        """Compile `user_pools:` (ValueError on duplicate ids) and keep them in `services.extras`.

        `host` and `port` are the server's (the pools' issuer URLs). Takes the sections, not the
        GatewayConfig: the config models import the authorizers, which reach this module."""
        if not user_pools:
            return None
        pools = compile_pools(user_pools, host, port)
        found = services.extras[EXTRAS_KEY] = cls(pools, services)
        return found

    @classmethod
    def of(cls, services: Services) -> UserPools | None:
        found = services.extras.get(EXTRAS_KEY)
        return found if isinstance(found, UserPools) else None

    def pool(self, name: str) -> Pool | None:
        return self.core.pools.get(name)

    # ---- start and reloads ------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        async with self._lock:
            if self._started:
                return
            await asyncio.to_thread(self._load)
            await self.reload_revoked()
            from gatepost.iam.directory import IamDirectory

            directory = IamDirectory.shared(self.services)
            await directory.reload()
            self.admin = AdminAuth(directory, self.services.clock)
            watcher = self.services.watcher
            watcher.subscribe(KEYS, self.reload_keys)
            watcher.subscribe(POOLS, self._reload_secrets)
            watcher.subscribe(REVOKED, self.reload_revoked)
            self._started = True
            log.info("idp.started pools=%s", ",".join(f"{p.name}:{p.pool_id}" for p in self.core.pools.values()))

    def _load(self) -> None:
        self.core.ensure()
        self.core.load_keys()
        self.core.load_secrets()

    async def reload_keys(self) -> None:
        self._last_key_reload = self.services.clock.monotonic()
        await asyncio.to_thread(self.core.load_keys)

    async def reload_keys_soon(self) -> bool:
        """An unknown kid: reload the keys now (or retry a failed start), at most once a second."""
        now = self.services.clock.monotonic()
        if now - self._last_key_reload < 1.0:
            return False
        self._last_key_reload = now
        if self._started:
            await self.reload_keys()
        else:
            await self.start()
        return True

    async def _reload_secrets(self) -> None:
        await asyncio.to_thread(self.core.load_secrets)

    async def reload_revoked(self) -> None:
        now = self.services.clock.now()

        def load() -> dict[str, dict[str, float]]:
            return {p.pool_id: self.core.sessions.revoked(p, now) for p in self.core.pools.values()}

        self.revocations.replace(await asyncio.to_thread(load))

    # ---- blocking work, off the loop ----------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            async with self._gate:
                return await asyncio.to_thread(fn, *args)
        finally:  # refusals count too: failed sign-ins are what leaves documents behind
            self._calls += 1
            if self._calls % PRUNE_EVERY == 0:
                await self.prune()

    async def prune(self) -> int:
        try:
            gone = await asyncio.to_thread(prune, self.core.catalog, self.core.pools.values(),
                                           self.services.clock.now())
        except Exception:
            log.exception("idp.prune_failed")
            return 0
        log.info("idp.pruned documents=%d", gone)
        return gone
