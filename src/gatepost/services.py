"""Services: what every authorizer and integration shares (clock, stores, the upstream HTTP client)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp

from gatepost.catalog_watch import CatalogWatcher
from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.closing import close_all, sync_step
from gatepost.stores.base import Cache, Catalog
from gatepost.stores.memory import MemoryCache, MemoryCatalog

log = logging.getLogger("gatepost")


class Services:
    def __init__(
        self,
        *,
        clock: Clock = SYSTEM_CLOCK,
        catalog: Catalog | None = None,
        cache: Cache | None = None,
        config_dir: Path = Path("."),
        workers: int = 1,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.clock = clock
        self.catalog: Catalog = catalog if catalog is not None else MemoryCatalog()
        self.cache: Cache = cache if cache is not None else MemoryCache(clock)
        self.config_dir = config_dir
        self.workers = workers
        self.settings = settings or {}
        self.watcher = CatalogWatcher(self.catalog, clock=clock)
        self.extras: dict[str, Any] = {}  # per-feature shared objects (counters, key snapshots...)
        self._http: aiohttp.ClientSession | None = None

    def http_client(self) -> aiohttp.ClientSession:
        """The one pooled keep-alive client for upstreams and identity providers (created in the loop)."""
        if self._http is None or self._http.closed:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=512, keepalive_timeout=60, ttl_dns_cache=300)
            self._http = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent",),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            )
        return self._http

    def share_http_client(self, other: Services) -> None:
        """Use `other`'s client and its keep-alive connections (a live reload's new gateway)."""
        self._http = other._http

    async def close(self) -> None:
        """The HTTP client, the cache and the catalog: each closes even when one before it failed."""
        http = [("http_client", self._http.close)] if self._http is not None else []
        await close_all([*http, ("cache", self.cache.close), ("catalog", sync_step(self.catalog.close))])
