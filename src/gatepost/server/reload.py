"""`gatepost serve --watch`: reload the config (a native config, an OpenAPI export or a template) and the
handler code when files under its folder change, without dropping a connection.

Every `interval` seconds the folder's config and code files (.yaml .yml .json .py .js .mjs .cjs; not
.gatepost/, __pycache__, node_modules, .git) are compared by size and mtime. On a change the whole
gateway is built again, off to the side, sharing the running one's catalog and cache: a build that fails
(a broken template, a handler that does not import) is logged with its located problems and the old
gateway keeps serving. A good one takes over in place: its usage layer starts after the old one has
written its counts to the catalog (quotas go on from where they were; throttle buckets start full), then
every connection's next request is served by it, and the old authorizers and integrations are closed.
One worker only (several would each reload on their own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gatepost.errors import ConfigError

if TYPE_CHECKING:
    from gatepost.gateway import Gateway
    from gatepost.server.app import GatewayApp

log = logging.getLogger("gatepost.reload")

ENV_VAR = "GATEPOST_WATCH"
SUFFIXES = (".yaml", ".yml", ".json", ".py", ".js", ".mjs", ".cjs")
SKIPPED = frozenset({".gatepost", "__pycache__", "node_modules", ".git", ".venv"})
MAX_FILES = 5000

Snapshot = dict[str, tuple[int, int]]


def snapshot(folder: Path) -> Snapshot:
    out: Snapshot = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in files:
            if name.endswith(SUFFIXES):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out[path] = (st.st_size, st.st_mtime_ns)
                if len(out) >= MAX_FILES:
                    return out
    return out


class Reloader:
    def __init__(self, path: str, app: GatewayApp, interval: float = 1.0) -> None:
        self.path = path
        self.folder = Path(path).resolve().parent if not Path(path).is_dir() else Path(path).resolve()
        self.config_dir = Path(path).resolve().parent  # as `serve` has it (a cdk.out folder: the folder above)
        self.app = app
        self.interval = interval
        self.last = snapshot(self.folder)
        self.reloads = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gatepost-watch")
        log.info("reload.watching folder=%s files=%d", self.folder, len(self.last))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def check(self) -> bool:
        """Reload when something changed; True when a new gateway took over."""
        now = await asyncio.to_thread(snapshot, self.folder)
        if now == self.last:
            return False
        self.last = now
        return await self.reload()

    async def reload(self) -> bool:
        old = self.app.gw
        try:
            new = await asyncio.to_thread(self._build, old)
        except ConfigError as exc:
            log.error("reload.refused reason=config problems=%d: the previous version keeps serving", len(exc.issues))
            for issue in exc.issues:
                log.error("reload.problem %s", issue)
            return False
        except Exception as exc:  # a handler that fails to import, a store that fails to open...
            log.error("reload.refused reason=%s: the previous version keeps serving", type(exc).__name__,
                      exc_info=exc)
            return False
        await self._take_over(old, new)
        self.reloads += 1
        log.info("reload.done apis=%s", ",".join(a.name for a in new.apis))
        return True

    def _build(self, old: Gateway) -> Gateway:
        from gatepost.config.compile import compile_gateway
        from gatepost.config.load import load_file
        from gatepost.services import Services

        config, doc = load_file(self.path)
        base = self.config_dir
        services = Services(clock=old.services.clock, catalog=old.services.catalog, cache=old.services.cache,
                            config_dir=base, workers=old.services.workers)
        services.settings["counters"] = config.state.counters
        return compile_gateway(config, doc, services, base)

    async def _take_over(self, old: Gateway, new: Gateway) -> None:
        from gatepost.server.app import GatewayApp

        for api in old.apis:  # the usage layer holds the counters' lease: the old one hands it back first
            await api.usage.close()
        await new.start()
        fresh = GatewayApp(new, self.app.access_log)
        await fresh.calls.start()
        old_calls = self.app.calls
        self.app.gw, self.app.calls, self.app.internal = new, fresh.calls, fresh.internal
        fresh.ready = True
        await old_calls.stop()
        await _retire(old)


async def _retire(old: Gateway) -> None:
    """Close what the old gateway started, but not the catalog and cache the new one shares."""
    await old.services.watcher.stop()
    await old.close_apis()  # (its usage layer is closed already: a second close does nothing)
    if old.tracer is not None:  # its exporter sends what it still holds, then stops (tracing/otel.py)
        await old.tracer.close()
    http = old.services._http
    if http is not None:
        await http.close()
