"""`--workers N` for the native engine: N processes, each with its own event loop, gateway and caches.

Each worker binds its own SO_REUSEPORT socket to the port (the kernel balances new connections across
them); the supervisor holds a bound, non-listening socket on the port so a second gateway cannot take
it. Where SO_REUSEPORT is missing, the supervisor's listening socket is shared with the workers. A
worker that dies is restarted; SIGTERM/SIGINT are passed to the workers, which drain and exit. SIGHUP,
or a worker asked on the admin port, reloads the config in every worker (server/reload_control.py).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from gatepost.config.models import ServerConfig
from gatepost.server import sockets
from gatepost.server.reload_control import ParentReloads

log = logging.getLogger("gatepost.server")


class Supervisor:
    def __init__(self, config_path: str, server: ServerConfig, *, host: str, port: int, workers: int,
                 target: Callable[..., None], run_id: str) -> None:
        """`target` is run.worker_main (passed in: run.py imports this module); `run_id` names the workers'
        shared files (observe/shared_file.py)."""
        self.target = target
        self.config_path = config_path
        self.server = server
        self.host = host
        self.workers = workers
        self.reuse_port = sockets.REUSE_PORT
        self.sock = sockets.bind(host, port, reuse_port=self.reuse_port, listen=not self.reuse_port)
        self.port = int(self.sock.getsockname()[1])
        self.stopping = False
        self.ctx = multiprocessing.get_context("spawn")
        self.procs: list[BaseProcess] = []
        self.links: list[Connection] = []  # the parent's end of each worker's pipe (same index as procs)
        self.reloads = ParentReloads(config_path, workers)
        self.hangup = False
        self.run_id = run_id

    def _spawn(self) -> tuple[BaseProcess, Connection]:
        shared: socket.socket | None = None if self.reuse_port else self.sock
        mine, theirs = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=self.target, name="gatepost-worker", daemon=False,
                                args=(self.config_path, self.server, self.host, self.port, self.workers, shared,
                                      self.run_id, theirs))
        proc.start()
        theirs.close()
        return proc, mine

    def run(self) -> None:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._hangup)
        try:
            for _ in range(self.workers):
                proc, link = self._spawn()
                self.procs.append(proc)
                self.links.append(link)
            while not self.stopping:
                self._serve_links(wait(self.links, timeout=0.2))
                self._restart_dead()
        finally:
            self._terminate()
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.sock.close()

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _hangup(self, signum: int, frame: Any) -> None:
        self.hangup = True

    def _serve_links(self, ready: list[Any]) -> None:
        """Admin reload requests from workers, and SIGHUP: one reload across all workers answers them all."""
        requests = self.reloads.later
        self.reloads.later = []
        for link in ready:
            try:
                while link.poll():
                    msg = link.recv()
                    if msg.get("op") == "reload":
                        requests.append((link, int(msg["id"])))
            except (EOFError, OSError):  # a worker that died: restarted below
                continue
        if (self.hangup or requests) and not self.stopping:
            self.hangup = False
            log.info("reload.requested by=%s", "admin" if requests else "SIGHUP")
            self.reloads.run([link for proc, link in zip(self.procs, self.links, strict=True) if proc.is_alive()],
                             requests)

    def _restart_dead(self) -> None:
        for i, proc in enumerate(self.procs):
            if not proc.is_alive() and not self.stopping:
                log.warning("server.worker_died pid=%s exitcode=%s: restarting", proc.pid, proc.exitcode)
                self.links[i].close()
                self.procs[i], self.links[i] = self._spawn()

    def _terminate(self) -> None:
        for proc in self.procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.server.shutdown_timeout + 5
        for proc in self.procs:
            proc.join(timeout=max(deadline - time.monotonic(), 0.1))
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
