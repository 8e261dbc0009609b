"""Serve a template the way `gatepost serve TEMPLATE` does (load_file -> compile), on a free loopback port."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gatepost.bootstrap import build_gateway
from gatepost.cli import main
from gatepost.observe.access_log import AccessLog
from gatepost.server.app import GatewayApp
from support import RunningGateway, _serve_native

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "Correct-Horse-9"


def copy_fixture(name: str, tmp: Path) -> Path:
    """The fixture folder copied under tmp (its catalog is written next to the template)."""
    target = tmp / name
    shutil.copytree(FIXTURES / name, target)
    return target / "template.yaml"


@contextlib.contextmanager
def serve_template(path: Path) -> Iterator[RunningGateway]:
    gw = build_gateway(path)
    app = GatewayApp(gw, AccessLog("off"))
    with _serve_native(app, gw, path.parent) as port:
        yield RunningGateway(f"http://127.0.0.1:{port}", gw, app, port)


@contextlib.contextmanager
def serve_watched(path: Path) -> Iterator[tuple[RunningGateway, Callable[[], bool]]]:
    """Serve as `gatepost serve PATH --watch` does, with the watcher's check called by the test instead of
    every second: `check()` -> True when a changed template took over (run on the server's own loop)."""
    from gatepost.server.listener import NativeServer
    from gatepost.server.reload import ReloadEngine, Reloader
    from gatepost.server.sockets import bind
    from support import ThreadServer

    gw = build_gateway(path)
    app = GatewayApp(gw, AccessLog("off"))
    sock = bind("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    server = NativeServer(app)
    ts = ThreadServer(uvloop=True)
    reloader = Reloader(ReloadEngine.attach(str(path), app, lambda: server.connections))
    try:
        ts.call(server.start(sock))
        yield RunningGateway(f"http://127.0.0.1:{port}", gw, app, port), lambda: bool(ts.call(reloader.check(), 120))
    finally:
        try:
            ts.call(server.stop(app.gw.config.server.shutdown_timeout))
        finally:
            ts.close()
            sock.close()


def cli(*argv: str) -> int:
    return main(list(argv))


def user_tokens(template: Path, capsys: Any, username: str = "alice", groups: tuple[str, ...] = ()) -> dict[str, str]:
    """Create a user in the template's (only) pool and sign in: Cognito's AuthenticationResult."""
    import json

    extra = [a for g in groups for a in ("--group", g)]
    assert cli("users", "create", username, "--password", PASSWORD, *extra, "--config", str(template)) == 0
    capsys.readouterr()
    assert cli("users", "token", username, "--password", PASSWORD, "--config", str(template)) == 0
    result: dict[str, str] = json.loads(capsys.readouterr().out)
    return result
