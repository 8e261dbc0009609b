"""Run the gateway under uvicorn (uvloop + httptools), one process or `--workers N`."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from gatepost.config.models import ServerConfig
from gatepost.server.protocol import GatepostHttpProtocol


def uvicorn_config(app: Any, server: ServerConfig, *, host: str, port: int, workers: int,
                   config_dir: Path) -> uvicorn.Config:
    tls: dict[str, Any] = {}
    if server.tls is not None:
        tls = {"ssl_certfile": str(config_dir / server.tls.cert), "ssl_keyfile": str(config_dir / server.tls.key)}
    return uvicorn.Config(
        app, host=host, port=port, workers=workers if workers > 1 else None, factory=isinstance(app, str),
        loop="uvloop", http=GatepostHttpProtocol, lifespan="on", access_log=False, proxy_headers=False,
        server_header=False, date_header=True, log_level="warning", backlog=4096,
        timeout_graceful_shutdown=int(server.shutdown_timeout), timeout_keep_alive=30, **tls,
    )


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run(config_path: str, server: ServerConfig, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM/SIGINT. uvicorn drains in-flight requests, then re-raises the signal to the
    handler that was installed before it: ours turns SIGTERM into a clean exit so the caller's
    `finally` (stopping sidecars) runs."""
    signal.signal(signal.SIGTERM, _exit_quietly)
    path = str(Path(config_path).resolve())
    os.environ["GATEPOST_CONFIG"] = path
    os.environ["GATEPOST_WORKERS"] = str(workers)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = uvicorn_config("gatepost.server.app:create_app", server, host=host, port=port, workers=workers,
                            config_dir=Path(path).parent)
    if workers > 1:
        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()
