"""Live reload: build the gateway again from its files, off to the side, and let it take over in place.

Who asks: `serve --watch` (Reloader, below: polls the config's folder), SIGHUP and the admin port's
`POST /admin/reload` (server/reload_control.py, which keeps every worker on the same version).

A build shares the running gateway's catalog, cache, clock and upstream HTTP client (its keep-alive
connections), and takes over the JWKS key sources of every issuer it still trusts with unchanged settings
(their keys, no refetch). A build that fails (a located config problem, a handler that does not import, a
store that cannot be reached) is refused, logged with its problems (`reload.refused reason=...`), and the
old gateway keeps serving. A good one takes over: its usage layer starts after the old one wrote its counts
(quotas go on from where they were), then every connection's next request is served by it; the old
gateway's authorizers and integrations are closed once the requests it was serving are answered (at most
`server.shutdown_timeout` seconds later). Metrics go on from the old totals (observe/metrics.py `carried`).
Lambda authorizer results stay in the shared cache: an authorizer with the same definition finds them
again, a changed one uses other keys (authorizers/lambda_.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatepost.closing import cancel_and_wait
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.server import config_version
from gatepost.server.config_version import ConfigVersion, snapshot

if TYPE_CHECKING:
    from gatepost.gateway import Gateway
    from gatepost.server.app import GatewayApp

log = logging.getLogger("gatepost.reload")

ENV_VAR = "GATEPOST_WATCH"
VERSION_KEY = "config_version"  # gateway.extras[VERSION_KEY]: the ConfigVersion it was built from
RETIRE_POLL = 0.02

Listener = Callable[["Gateway"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a reload did: `version` is the one serving afterwards (the new one, or the old one kept)."""

    ok: bool
    version: ConfigVersion
    reason: str = "reloaded"  # stable: reloaded | config | build_failed | workers_disagree | busy | ...
    problems: tuple[ConfigIssue, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"reloaded": self.ok, **self.version.as_dict(), "reason": self.reason,
                "problems": problems_json(self.problems)}


def problems_json(issues: Iterable[ConfigIssue]) -> list[dict[str, str]]:
    return [{"file": i.file, "place": i.place, "problem": i.problem, "fix": i.fix} for i in issues]


def version_of(gw: Gateway) -> ConfigVersion | None:
    found = gw.extras.get(VERSION_KEY)
    return found if isinstance(found, ConfigVersion) else None


def validate(path: str, workers: int) -> list[ConfigIssue]:
    """The on-disk config's problems, checked as `serve` checks it at start (compiled, state URLs tried);
    nothing starts, nothing changes. An empty list: it would load."""
    from gatepost.config.load import load_file
    from gatepost.config.state_check import compile_checked
    from gatepost.services import Services

    try:
        config, doc = load_file(path)
        compile_checked(config, doc, Services(workers=workers), config_dir(path))
    except ConfigError as exc:
        return list(exc.issues)
    except Exception as exc:  # a handler that fails to import, a template resource that cannot be built...
        return [_unexpected(path, exc)]
    return []


def config_dir(path: str) -> Path:
    """The folder the config's relative paths start from, as `serve` has it (a cdk.out folder: the one above)."""
    return Path(path).resolve().parent


def _unexpected(path: str, exc: BaseException) -> ConfigIssue:
    return ConfigIssue(path, "(load)", f"{type(exc).__name__}: {exc}"[:500],
                       "fix the file or the code it names, then reload again")


def log_refusal(reason: str, issues: Iterable[ConfigIssue]) -> None:
    issues = list(issues)
    log.error("reload.refused reason=%s problems=%d: the previous version keeps serving", reason, len(issues))
    for issue in issues:
        log.error("reload.problem %s", issue)


@dataclass
class Prepared:
    gateway: Gateway
    digest: str


@dataclass
class ReloadEngine:
    """The reloads of one process's gateway (`app.gw`). `connections` gives the server's open connections
    (their `busy` flag says a request is being answered): the old gateway is retired once those are done."""

    path: str
    app: GatewayApp
    version: ConfigVersion
    connections: Callable[[], Iterable[Any]] = lambda: ()
    listeners: list[Listener] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def attach(cls, path: str, app: GatewayApp, connections: Callable[[], Iterable[Any]] = lambda: (),
               load: int | None = None) -> ReloadEngine:
        """The engine of a gateway that was just built from `path`: it gets its version now."""
        version = ConfigVersion(config_version.digest(path), load or config_version.first_load())
        app.gw.extras[VERSION_KEY] = version
        app.config_version = version.label
        return cls(path, app, version, connections)

    # -- one process on its own (serve --watch, SIGHUP or the admin port without --workers) -------------
    async def reload(self) -> Outcome:
        async with self._lock:
            try:
                prepared = await self.prepare()
            except ConfigError as exc:
                log_refusal("config", exc.issues)
                return Outcome(False, self.version, "config", tuple(exc.issues))
            except Exception as exc:
                log.error("reload.refused reason=build_failed: the previous version keeps serving", exc_info=exc)
                return Outcome(False, self.version, "build_failed", (_unexpected(self.path, exc),))
            await self.commit(prepared, self.version.load + 1)
            return Outcome(True, self.version)

    # -- in two steps (several workers: every worker prepares, then all commit or all discard) ---------
    async def prepare(self) -> Prepared:
        """Build the new gateway off to the side. Raises ConfigError (located problems) or what failed."""
        gateway, digest = await asyncio.to_thread(self._build, self.app.gw)
        return Prepared(gateway, digest)

    async def commit(self, prepared: Prepared, load: int) -> ConfigVersion:
        old, new = self.app.gw, prepared.gateway
        self.version = ConfigVersion(prepared.digest, load)
        new.extras[VERSION_KEY] = self.version
        busy = await self._take_over(old, new)
        log.info("reload.done version=%s apis=%s", self.version.label, ",".join(a.name for a in new.apis))
        for listener in self.listeners:
            try:
                await listener(new)
            except Exception:
                log.exception("reload.listener_failed")
        await self._retire(old, new, busy)
        return self.version

    def discard(self, prepared: Prepared) -> None:
        """A prepared gateway that will not serve: nothing of it was started; its stores are shared."""
        prepared.gateway.extras.pop(VERSION_KEY, None)

    def _build(self, old: Gateway) -> tuple[Gateway, str]:
        from gatepost.authorizers.jwks import PREVIOUS_KEY, sources
        from gatepost.config.load import load_file
        from gatepost.config.state_check import compile_checked
        from gatepost.services import Services

        digest = config_version.digest(self.path)  # before loading: a change while loading is a new version
        config, doc = load_file(self.path)
        base = config_dir(self.path)
        was = old.services
        services = Services(clock=was.clock, catalog=was.catalog, cache=was.cache, config_dir=base,
                            workers=was.workers)
        services.settings["counters"] = config.state.counters
        services.watcher.max_stale = config.state.catalog_max_stale
        services.share_http_client(was)
        services.extras[PREVIOUS_KEY] = sources(was.extras)  # unchanged issuers keep their key sources
        try:
            gateway = compile_checked(config, doc, services, base)
        finally:
            services.extras.pop(PREVIOUS_KEY, None)
        for source in sources(services.extras).values():
            source.http = services.http_client
        return gateway, digest

    async def _take_over(self, old: Gateway, new: Gateway) -> list[Any]:
        """Swap `new` in; returns the connections answering a request at that moment (the old one's)."""
        from gatepost.server.app import GatewayApp

        for api in old.apis:  # the usage layer holds the counters' lease: the old one hands it back first
            await api.usage.close()
        await new.start()
        fresh = GatewayApp(new, self.app.access_log)
        await fresh.calls.start()
        old_calls = self.app.calls
        new.metrics.carried = carried_metrics(old, new)
        self.app.adopt(fresh, self.version.label)
        busy = [c for c in self.connections() if getattr(c, "busy", False)]
        fresh.ready = True
        await old_calls.stop()
        return busy

    async def _retire(self, old: Gateway, new: Gateway, busy: list[Any]) -> None:
        """Close what the old gateway started (not the stores and HTTP client the new one shares), once the
        requests it was answering are done."""
        timeout = old.config.server.shutdown_timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        open_now = set(self.connections())
        while any(c.busy and c in open_now for c in busy) and loop.time() < deadline:
            await asyncio.sleep(RETIRE_POLL)
            open_now = set(self.connections())
        await old.retire()  # its tracer (the new gateway has its own), watcher, APIs (a closed usage layer: no-op)
        new.metrics.carried = carried_metrics(old, new)  # what the old one counted until its last request



def carried_metrics(old: Gateway, new: Gateway) -> dict[str, Any]:
    """The old gateway's totals (its own carried ones included), less the JWKS fetches of the key sources
    the new one took over (those go on counting there)."""
    from gatepost.authorizers.jwks import sources

    snap = old.metrics.snapshot(old)
    taken: dict[str, list[int]] = {}
    for source in sources(new.services.extras).values():
        row = taken.setdefault(source.issuer, [0, 0])
        row[0] += int(source.fetches)
        row[1] += int(source.failures)
    jwks = []
    for issuer, fetches, failures in snap.get("jwks", []):
        less = taken.get(issuer, [0, 0])
        jwks.append([issuer, max(fetches - less[0], 0), max(failures - less[1], 0)])
    snap["jwks"] = jwks
    redis = snap.get("redis")  # [up, errors, last failure]: the errors go on; whether it is up is the new one's say
    snap["redis"] = [1, redis[1], redis[2]] if redis is not None and new.services.extras.get("usage") else None
    return snap


class Reloader:
    """`gatepost serve --watch`: every `interval` seconds the config's folder is compared by size and mtime
    (server/config_version.py's file set); on a change the engine reloads. One worker only."""

    def __init__(self, engine: ReloadEngine, interval: float = 1.0) -> None:
        self.engine = engine
        self.folder = config_version.folder_of(engine.path)
        self.interval = interval
        self.last = snapshot(self.folder)
        self.reloads = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gatepost-watch")
        log.info("reload.watching folder=%s files=%d", self.folder, len(self.last))

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

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
        outcome = await self.engine.reload()
        self.reloads += outcome.ok
        return outcome.ok

