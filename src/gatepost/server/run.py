"""Run the gateway on the native engine (server/native.py): one process, or `--workers N`."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from gatepost.closing import Step, close_all
from gatepost.config.models import ServerConfig
from gatepost.observe.shared_file import run_files

if TYPE_CHECKING:
    from gatepost.server.reload import ReloadEngine
    from gatepost.server.reload_control import Reloads

log = logging.getLogger("gatepost.server")


def run(config_path: str, server: ServerConfig, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM/SIGINT, draining in-flight requests, then return (so the caller's `finally`,
    stopping sidecars, runs)."""
    path = str(Path(config_path).resolve())
    os.environ["GATEPOST_CONFIG"] = path
    os.environ["GATEPOST_WORKERS"] = str(workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with run_files() as run_id:
        if workers > 1:
            from gatepost.server.workers import Supervisor

            Supervisor(path, server, host=host, port=port, workers=workers, target=worker_main,
                       run_id=run_id).run()
        else:
            from gatepost.server.sockets import bind

            worker_main(path, server, host, port, 1, bind(host, port), run_id)


def worker_main(path: str, server: ServerConfig, host: str, port: int, workers: int,
                sock: socket.socket | None, run_id: str, control: Connection | None = None) -> None:
    """One native-engine process: build the gateway, serve until SIGTERM/SIGINT, drain, stop."""
    from gatepost.server.sockets import bind

    os.environ.setdefault("GATEPOST_RUN_ID", run_id)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    listen = sock if sock is not None else bind(host, port, reuse_port=True)
    try:
        new_loop()
        asyncio.run(serve_native(path, server, listen, workers, control))
    finally:
        listen.close()


def new_loop() -> None:
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def freeze_startup_objects() -> None:
    """The modules, config and compiled gateway live as long as the process: moved out of the collector's
    generations (`gc.freeze`), a full collection no longer walks them (40+ ms each, seen as p99 stalls)."""
    gc.collect()
    gc.freeze()


async def serve_native(path: str, server: ServerConfig, sock: socket.socket, workers: int,
                       control: Connection | None = None) -> None:
    from gatepost.bootstrap import build_gateway
    from gatepost.server.app import GatewayApp
    from gatepost.server.listener import NativeServer
    from gatepost.server.reload import ReloadEngine
    from gatepost.server.sockets import tls_context

    app = GatewayApp(build_gateway(path, workers=workers))
    native = NativeServer(app, ssl_context=tls_context(server, Path(path).parent))
    engine = ReloadEngine.attach(path, app, lambda: native.connections)  # the config's version, and reloads
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloads = _reloads(engine, control, loop)
    await native.start(sock)
    admin = None
    if app.gw.config.admin.enabled:  # admin/server.py: metrics and read-only views on their own port
        from gatepost.admin.server import AdminServer

        admin = AdminServer(app.gw, workers)
        admin.reloads = reloads
        engine.listeners.append(admin.adopt)
        await admin.start()
    reloader = None
    if os.environ.get("GATEPOST_WATCH") == "1" and workers == 1:  # serve --watch (server/reload.py)
        from gatepost.server.reload import Reloader

        reloader = Reloader(engine)
        reloader.start()
    else:
        freeze_startup_objects()
    await stop.wait()  # (a second SIGTERM, e.g. the parent's after the process group's, only sets it again)
    steps: list[Step] = [("reloader", reloader.stop)] if reloader is not None else []
    steps.append(("server", lambda: native.stop(server.shutdown_timeout)))  # the drain, the app's own steps
    if admin is not None:
        steps.append(("admin", admin.stop))
    await close_all(steps)


def _reloads(engine: ReloadEngine, control: Connection | None, loop: asyncio.AbstractEventLoop) -> Reloads:
    """SIGHUP: a worker under the parent ignores it (the parent reloads every worker); one process on its own
    reloads itself (server/reload_control.py)."""
    from gatepost.server.reload_control import LocalReloads, WorkerReloads

    if control is not None:
        worker = WorkerReloads(engine, control)
        worker.start()
        loop.add_signal_handler(signal.SIGHUP, lambda: log.info("reload.sighup_ignored: the parent reloads workers"))
        return worker
    local = LocalReloads(engine)
    running: set[asyncio.Task[object]] = set()

    def hangup() -> None:
        log.info("reload.requested by=SIGHUP")
        task = loop.create_task(local.reload())
        running.add(task)
        task.add_done_callback(running.discard)

    loop.add_signal_handler(signal.SIGHUP, hangup)
    return local
