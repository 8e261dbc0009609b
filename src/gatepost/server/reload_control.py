"""Who may reload, and how every worker ends up on the same version (SIGHUP, `POST /admin/reload`).

One process (no `--workers`): SIGHUP or the admin port reloads it in place (server/reload.py).

Several workers: the parent process holds one pipe to each worker. SIGHUP goes to the parent (workers
ignore it); a worker asked on the admin port sends `reload` up its pipe and waits for the answer. The parent
checks the on-disk config once, as `serve` does at start; a broken one is refused there (logged with its
located problems) and no worker hears of it. Otherwise every worker builds the new gateway off to the side
(`prepare`, with the next load number) and answers with its build's content digest; when all built the
same digest the parent says `commit` and each worker swaps it in, else `abort` and every worker keeps the
old one: all of them serve the new version, or none does. A worker that cannot swap in a prepared build
stops and is restarted on the new config (the parent gives restarted workers the current load number).

Messages are small dicts: parent -> worker `prepare {load}`, `commit {load}`, `abort {load}`,
`result {id, outcome}`; worker -> parent `reload {id}`, `prepared {load, ok, digest, problems}`,
`committed {load, ok}`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from gatepost.errors import ConfigError
from gatepost.server import config_version
from gatepost.server.config_version import ConfigVersion
from gatepost.server.reload import Outcome, Prepared, ReloadEngine, log_refusal, problems_json, validate

log = logging.getLogger("gatepost.reload")

STEP_TIMEOUT = 120.0  # seconds every worker has to build (prepare) or swap in (commit) the new gateway
ANSWER_TIMEOUT = STEP_TIMEOUT * 2 + 60  # a worker waiting for the parent's answer to an admin reload


class Reloads(Protocol):
    """What SIGHUP and the admin port call (server/run.py wires one per process)."""

    @property
    def path(self) -> str: ...

    def version(self) -> ConfigVersion: ...

    async def reload(self) -> dict[str, Any]: ...


class LocalReloads:
    """One process: reload it here."""

    def __init__(self, engine: ReloadEngine) -> None:
        self.engine = engine

    @property
    def path(self) -> str:
        return self.engine.path

    def version(self) -> ConfigVersion:
        return self.engine.version

    async def reload(self) -> dict[str, Any]:
        return (await self.engine.reload()).as_dict()


# ---- a worker's end of the pipe --------------------------------------------------------------------------

class WorkerReloads:
    """A worker under the parent: asks it for reloads, and prepares/commits/aborts when it says so."""

    def __init__(self, engine: ReloadEngine, link: Connection) -> None:
        self.engine = engine
        self.link = link
        self.prepared: tuple[int, Prepared] | None = None
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def path(self) -> str:
        return self.engine.path

    def version(self) -> ConfigVersion:
        return self.engine.version

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.link.fileno(), self._readable)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.link.fileno())
            self._loop = None

    async def reload(self) -> dict[str, Any]:
        request = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self.waiting[request] = answer
        try:
            self.link.send({"op": "reload", "id": request})
            return await asyncio.wait_for(answer, ANSWER_TIMEOUT)
        finally:
            self.waiting.pop(request, None)

    def _readable(self) -> None:
        try:
            while self.link.poll():
                self._on(self.link.recv())
        except (EOFError, OSError):  # the parent is gone: it is stopping us too
            self.stop()

    def _on(self, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "result":
            answer = self.waiting.get(int(msg["id"]))
            if answer is not None and not answer.done():
                answer.set_result(msg["outcome"])
            return
        step = {"prepare": self._prepare, "commit": self._commit, "abort": self._abort}.get(str(op))
        if step is not None:
            task = asyncio.get_running_loop().create_task(step(int(msg["load"])), name=f"gatepost-reload-{op}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _prepare(self, load: int) -> None:
        await self._abort(load)  # an earlier prepared build the parent gave up on
        reply: dict[str, Any] = {"op": "prepared", "load": load, "ok": False, "digest": "", "problems": []}
        try:
            prepared = await self.engine.prepare()
        except ConfigError as exc:
            log_refusal("config", exc.issues)
            reply["problems"] = problems_json(exc.issues)
        except Exception as exc:
            log.error("reload.refused reason=build_failed: the previous version keeps serving", exc_info=exc)
            reply["problems"] = [{"file": self.engine.path, "place": "(load)", "problem": f"{type(exc).__name__}: "
                                  f"{exc}"[:500], "fix": "fix the file or the code it names, then reload again"}]
        else:
            self.prepared = (load, prepared)
            reply.update(ok=True, digest=prepared.digest)
        self.link.send(reply)

    async def _commit(self, load: int) -> None:
        if self.prepared is None or self.prepared[0] != load:
            self.link.send({"op": "committed", "load": load, "ok": False})
            return
        _, prepared = self.prepared
        self.prepared = None
        try:
            await self.engine.commit(prepared, load)
        except Exception:
            log.exception("reload.commit_failed load=%d: this worker stops and is restarted on the new config", load)
            self.link.send({"op": "committed", "load": load, "ok": False})
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.link.send({"op": "committed", "load": load, "ok": True})

    async def _abort(self, load: int) -> None:
        if self.prepared is not None:
            self.engine.discard(self.prepared[1])
            self.prepared = None


# ---- the parent's end: one reload across all workers ------------------------------------------------------

class ParentReloads:
    """The parent's side: `run(links, requests)` is called from the supervisor's loop (no event loop)."""

    def __init__(self, path: str, workers: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.workers = workers
        self.clock = clock
        self.version = ConfigVersion(config_version.digest(path), config_version.first_load())
        self.later: list[tuple[Connection, int]] = []  # admin requests that came in during a reload

    def run(self, links: list[Connection], requests: list[tuple[Connection, int]]) -> Outcome:
        outcome = self._reload(links)
        for link, request in requests:
            _send(link, {"op": "result", "id": request, "outcome": outcome.as_dict()})
        return outcome

    def _reload(self, links: list[Connection]) -> Outcome:
        problems = validate(self.path, self.workers)
        if problems:
            log_refusal("config", problems)
            return Outcome(False, self.version, "config", tuple(problems))
        load = self.version.load + 1
        digest = config_version.digest(self.path)
        replies = self._step(links, {"op": "prepare", "load": load}, "prepared")
        good = [r for r in replies.values() if r.get("ok")]
        if len(good) == len(links) and {r["digest"] for r in good} == {digest}:
            os.environ[config_version.LOAD_ENV] = str(load)  # a worker restarted from now on starts on it
            self.version = ConfigVersion(digest, load)
            committed = self._step(links, {"op": "commit", "load": load}, "committed")
            failed = len(links) - sum(1 for r in committed.values() if r.get("ok"))
            if failed:
                log.error("reload.commit_failed workers=%d: they restart on version %s", failed, self.version.label)
            log.info("reload.done version=%s workers=%d", self.version.label, len(links))
            return Outcome(True, self.version)
        self._step(links, {"op": "abort", "load": load}, None)
        issues = [i for r in replies.values() for i in r.get("problems", [])]
        reason = "build_failed" if issues else "workers_disagree"
        log.error("reload.refused reason=%s workers=%d answered=%d built=%d: every worker keeps version %s",
                  reason, len(links), len(replies), len(good), self.version.label)
        from gatepost.errors import ConfigIssue

        located = tuple(ConfigIssue(i["file"], i["place"], i["problem"], i.get("fix", "")) for i in issues[:50])
        return Outcome(False, self.version, reason, located)

    def _step(self, links: list[Connection], msg: dict[str, Any], reply_op: str | None) -> dict[int, dict[str, Any]]:
        """Send `msg` to every worker; collect each one's `reply_op` answer (by index) within STEP_TIMEOUT."""
        live = {}
        for i, link in enumerate(links):
            if _send(link, msg):
                live[i] = link
        if reply_op is None:
            return {}
        replies: dict[int, dict[str, Any]] = {}
        deadline = self.clock() + STEP_TIMEOUT
        while len(replies) < len(live) and self.clock() < deadline:
            for ready in wait([link for i, link in live.items() if i not in replies], timeout=0.5):
                index = next(i for i, candidate in live.items() if candidate is ready)
                link = live[index]
                try:
                    answer = link.recv()
                except (EOFError, OSError):  # the worker died: no answer from it
                    replies[index] = {"ok": False}
                    continue
                if answer.get("op") == "reload":  # an admin request during this reload: served after it
                    self.later.append((link, int(answer["id"])))
                elif answer.get("op") == reply_op and answer.get("load") == msg["load"]:
                    replies[index] = answer
        return replies


def _send(link: Connection, msg: dict[str, Any]) -> bool:
    try:
        link.send(msg)
    except (OSError, ValueError):  # a worker that died (its pipe is closed)
        return False
    return True
