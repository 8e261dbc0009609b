"""Background refresh: a change the CLI writes to the catalog reaches the running gateway within a second.

A watcher polls `catalog.version(collection)` off the event loop (a thread) every `interval` seconds
and calls the subscribers of a collection that moved. A catalog that announces its changes (Postgres:
LISTEN/NOTIFY, `wait_change`) wakes the watcher as soon as one arrives; the poll stays, as the safety net.
The request path never touches the catalog.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from gatepost.stores.base import Catalog

log = logging.getLogger("gatepost.catalog")

Reload = Callable[[], Awaitable[None]]


class CatalogWatcher:
    def __init__(self, catalog: Catalog, interval: float = 0.25) -> None:
        self.catalog = catalog
        self.interval = interval
        self._subs: dict[str, list[Reload]] = {}
        self._seen: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, collection: str, reload: Reload) -> None:
        """`reload` runs once now (at `start`) and again whenever `collection` changes."""
        self._subs.setdefault(collection, []).append(reload)

    async def start(self) -> None:
        await self.poll(force=True)
        self._task = asyncio.create_task(self._run(), name="gatepost-catalog-watch")

    async def poll(self, force: bool = False) -> None:
        versions = await asyncio.to_thread(self._versions)
        for collection, version in versions.items():
            if force or version != self._seen.get(collection):
                self._seen[collection] = version
                for reload in self._subs[collection]:
                    try:
                        await reload()
                    except Exception:
                        log.exception("catalog.reload_failed collection=%s", collection)

    def _versions(self) -> dict[str, int]:
        return {c: self.catalog.version(c) for c in self._subs}

    async def _run(self) -> None:
        wait_change = getattr(self.catalog, "wait_change", None)
        while True:
            if wait_change is None:
                await asyncio.sleep(self.interval)
            else:
                await self._wait_change(wait_change)
            try:
                await self.poll()
            except Exception:
                log.exception("catalog.poll_failed")

    async def _wait_change(self, wait_change: Callable[[float], bool]) -> None:
        """Until a change is announced or `interval` passed, in short slices (a stopped watcher leaves no
        thread waiting long)."""
        deadline = time.monotonic() + self.interval
        while (left := deadline - time.monotonic()) > 0:
            if await asyncio.to_thread(wait_change, min(left, 0.5)):
                return

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
