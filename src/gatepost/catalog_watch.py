"""Background refresh: a change the CLI writes to the catalog reaches the running gateway within a second.

A watcher polls `catalog.version(collection)` off the event loop (a thread) every `interval` seconds
and calls the subscribers of a collection that moved. A catalog that announces its changes (Postgres:
LISTEN/NOTIFY, `wait_change`) wakes the watcher as soon as one arrives; the poll stays, as the safety net.
The request path never touches the catalog.

Catalog unreachable (Postgres down): the snapshots each worker holds keep serving for `max_stale`
seconds after the last successful poll (`state.catalog_max_stale`), then `stale` turns true and routes
whose authorization reads them (API keys, IAM, built-in user pools) answer 503 until the catalog is back;
the pool reconnects by itself. One log line when it is lost, one when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.closing import cancel_and_wait
from gatepost.stores.base import Catalog
from gatepost.stores.errors import CatalogUnavailable

log = logging.getLogger("gatepost.catalog")

Reload = Callable[[], Awaitable[None]]


class CatalogWatcher:
    def __init__(self, catalog: Catalog, interval: float = 0.25, clock: Clock = SYSTEM_CLOCK,
                 max_stale: float = 300.0) -> None:
        self.catalog = catalog
        self.interval = interval
        self.clock = clock
        self.max_stale = max_stale
        self.stale = False  # read on the request path: set here, after each poll
        self._fresh_until = float("inf")  # until the first poll
        self._lost = False
        self._subs: dict[str, list[Reload]] = {}
        self._seen: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self.polls = 0  # polls done, reloads included: one that starts after a write has applied it (tests)

    def subscribe(self, collection: str, reload: Reload) -> None:
        """`reload` runs once now (at `start`) and again whenever `collection` changes."""
        self._subs.setdefault(collection, []).append(reload)

    async def start(self) -> None:
        await self.poll(force=True)
        self._fresh_until = self.clock.monotonic() + self.max_stale
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
        self.polls += 1

    def _versions(self) -> dict[str, int]:
        return {c: self.catalog.version(c) for c in self._subs}

    async def _guarded_poll(self) -> None:
        try:
            await self.poll()
        except CatalogUnavailable as exc:
            if not self._lost:
                self._lost = True
                log.warning("catalog.unreachable error=%s: serving from the snapshots held for up to %.0f s",
                            exc, max(0.0, self._fresh_until - self.clock.monotonic()))
        except Exception:
            log.exception("catalog.poll_failed")
        else:
            self._fresh_until = self.clock.monotonic() + self.max_stale
            if self._lost:
                self._lost = False
                log.warning("catalog.reconnected")
        stale = self.clock.monotonic() > self._fresh_until
        if stale and not self.stale:
            log.error("catalog.stale: unreachable for over %.0f s; routes that read it answer 503", self.max_stale)
        self.stale = stale

    async def _run(self) -> None:
        wait_change = getattr(self.catalog, "wait_change", None)
        while True:
            if wait_change is None:
                await asyncio.sleep(self.interval)
            else:
                await self._wait_change(wait_change)
            await self._guarded_poll()

    async def _wait_change(self, wait_change: Callable[[float], bool]) -> None:
        """Until a change is announced or `interval` passed, in short slices (a stopped watcher leaves no
        thread waiting long)."""
        deadline = time.monotonic() + self.interval
        while (left := deadline - time.monotonic()) > 0:
            if await asyncio.to_thread(wait_change, min(left, 0.5)):
                return

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
