"""Run the gateway on the native engine (server/native.py): one process, or `--workers N`."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
from pathlib import Path

from gatepost.config.models import ServerConfig

log = logging.getLogger("gatepost.server")


def run(config_path: str, server: ServerConfig, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM/SIGINT, draining in-flight requests, then return (so the caller's `finally`,
    stopping sidecars, runs)."""
    path = str(Path(config_path).resolve())
    os.environ["GATEPOST_CONFIG"] = path
    os.environ["GATEPOST_WORKERS"] = str(workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if workers > 1:
        from gatepost.server.workers import Supervisor

        Supervisor(path, server, host=host, port=port, workers=workers, target=worker_main).run()
    else:
        from gatepost.server.sockets import bind

        worker_main(path, server, host, port, 1, bind(host, port), os.getpid())


def worker_main(path: str, server: ServerConfig, host: str, port: int, workers: int,
                sock: socket.socket | None, run_id: int) -> None:
    """One native-engine process: build the gateway, serve until SIGTERM/SIGINT, drain, stop."""
    from gatepost.server.sockets import bind

    os.environ.setdefault("GATEPOST_RUN_ID", str(run_id))
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    listen = sock if sock is not None else bind(host, port, reuse_port=True)
    try:
        new_loop()
        asyncio.run(serve_native(path, server, listen, workers))
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


async def serve_native(path: str, server: ServerConfig, sock: socket.socket, workers: int) -> None:
    from gatepost.bootstrap import build_gateway
    from gatepost.server.app import GatewayApp
    from gatepost.server.listener import NativeServer
    from gatepost.server.sockets import tls_context

    app = GatewayApp(build_gateway(path, workers=workers))
    native = NativeServer(app, ssl_context=tls_context(server, Path(path).parent))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await native.start(sock)
    admin = None
    if app.gw.config.admin.enabled:  # admin/server.py: metrics and read-only views on their own port
        from gatepost.admin.server import AdminServer

        admin = AdminServer(app.gw, workers)
        await admin.start()
    reloader = None
    if os.environ.get("GATEPOST_WATCH") == "1" and workers == 1:  # serve --watch (server/reload.py)
        from gatepost.server.reload import Reloader

        reloader = Reloader(path, app)
        reloader.start()
    else:
        freeze_startup_objects()
    await stop.wait()
    if reloader is not None:
        await reloader.stop()
    await native.stop(server.shutdown_timeout)
    if admin is not None:
        await admin.stop()
