"""Real servers on 127.0.0.1 for tests: the gateway (its native server, in a thread), an echo upstream,
helpers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

from gatepost.bootstrap import build_gateway
from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.gateway import Gateway
from gatepost.observe.access_log import AccessLog
from gatepost.server.app import GatewayApp
from gatepost.stores.base import Cache, Catalog
from gatepost.stores.memory import MemoryCatalog

REPO = Path(__file__).resolve().parent.parent


_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


_PICK_FROM = range(20000, _ephemeral_low())  # below the ephemeral range (empty where that range starts low)
_CHOICE = random.SystemRandom().choice  # not the module's generator, which a test may seed


def free_port() -> int:
    """A loopback port nothing listens on, for a server that must be told its port before it starts (another
    process, a config); a server in this process binds port 0 and reads its port back instead (bound_socket).
    Picked below the kernel's ephemeral range: a port the kernel hands out (to any process's outgoing
    connection or port-0 bind) could be taken between this check and the server's own bind. Never the same
    one twice in one test run."""
    while True:
        if len(_PICK_FROM) >= 1000:
            port = _CHOICE(_PICK_FROM)
            if port in _HANDED_OUT:
                continue
            try:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
        else:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def bound_socket(port: int = 0, *, reuse_port: bool = False) -> socket.socket:
    """A loopback TCP socket bound to `port` (0: the kernel picks one; `getsockname()` tells it), not yet
    listening; SO_REUSEPORT lets a second one bind the same port while this one holds it."""
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return sock


def wait_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def run_cli(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    """`gatepost ARGV` through `gatepost.cli.main` in this process: exit code, stdout, stderr. A Python start-up
    per verb is seconds on a loaded machine; the environment a verb sets (a template's parameters and
    functions' variables) is put back afterwards."""
    import io
    import sys
    from unittest import mock

    from gatepost.cli import main

    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ), mock.patch.object(sys, "stdin", io.StringIO(stdin)), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


class ThreadServer:
    """Runs an asyncio server in its own thread and loop; `stop()` shuts it down."""

    def __init__(self, uvloop: bool = False) -> None:
        if uvloop:
            import uvloop as _uvloop

            self.loop = _uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@dataclass
class Upstream:
    """An echo upstream: answers JSON describing the request; counts calls."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadServer | None = None
    _runner: web.AppRunner | None = None

    @property
    def count(self) -> int:
        return len(self.calls)


@contextlib.contextmanager
def run_upstream(handler: Any = None) -> Iterator[Upstream]:
    sock = bound_socket()
    port = int(sock.getsockname()[1])
    upstream = Upstream(f"http://127.0.0.1:{port}")
    ts = ThreadServer()

    async def echo(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        seen = {"method": request.method, "path": request.path, "raw_path": request.raw_path,
                "query": request.query_string, "headers": dict(request.headers),
                "header_list": [(k, v) for k, v in request.headers.items()], "body": body.decode("latin-1")}
        upstream.calls.append(seen)
        if handler is not None:
            return await handler(request, seen)
        return web.json_response(seen)

    async def start() -> web.AppRunner:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", echo)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return runner

    try:
        runner = ts.call(start())
        try:
            yield upstream
        finally:
            ts.call(runner.cleanup())
    finally:
        ts.close()
        sock.close()


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    app: GatewayApp
    port: int

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=10, **kw)

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.url + path, timeout=10, **kw)


def catalog_caught_up(gw: RunningGateway, timeout: float = 60.0) -> None:
    """Wait until the gateway's catalog watcher has done a whole poll after this call: what was written to the
    catalog before it is in the gateway's snapshots (the watcher's own interval and thread, no clock)."""
    watcher = gw.gateway.services.watcher
    target = watcher.polls + 2  # a poll under way may have read the versions before the write
    deadline = time.monotonic() + timeout
    while watcher.polls < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the catalog watcher did not poll within {timeout}s")
        time.sleep(0.01)


@contextlib.contextmanager
def run_gateway(config: str, *, clock: Clock = SYSTEM_CLOCK, catalog: Catalog | None = None,
                cache: Cache | None = None, config_dir: Path | None = None,
                access_log: AccessLog | None = None, workers: int = 1,
                prepare: Callable[[Gateway], None] | None = None) -> Iterator[RunningGateway]:
    """Compile `config` (YAML text) and serve it on a free loopback port, in a thread (`prepare` sees the
    compiled gateway before it starts)."""
    gw = build_gateway(text=config, clock=clock, catalog=catalog if catalog is not None else MemoryCatalog(),
                       cache=cache, config_dir=config_dir or REPO, workers=workers)
    if prepare is not None:
        prepare(gw)
    app = GatewayApp(gw, access_log or AccessLog("off"))
    with _serve_native(app, gw, config_dir or REPO) as port:
        yield RunningGateway(f"http://127.0.0.1:{port}", gw, app, port)


@contextlib.contextmanager
def _serve_native(app: GatewayApp, gw: Gateway, config_dir: Path) -> Iterator[int]:
    from gatepost.server.listener import NativeServer
    from gatepost.server.sockets import bind, tls_context

    sock = bind("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    server = NativeServer(app, ssl_context=tls_context(gw.config.server, config_dir))
    ts = ThreadServer(uvloop=True)
    try:
        ts.call(server.start(sock))
        yield port
    finally:
        try:
            ts.call(server.stop(gw.config.server.shutdown_timeout))
        finally:
            ts.close()
            sock.close()


@contextlib.contextmanager
def serve_process(config: Path, *args: str, env: dict[str, str] | None = None,
                  stdout: Any = None) -> Iterator[tuple[Any, int]]:
    """`gatepost serve CONFIG --port P ARGS` in its own process group (so SIGKILL takes its workers too);
    its output goes to a pipe unless `stdout` says otherwise (DEVNULL for servers whose log nobody reads)."""
    import subprocess
    import sys

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gatepost", "serve", str(config), "--port", str(port), *args],
                            stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, **(env or {})})
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def raw_http(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes as they are over a socket and read the answer until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


@dataclass
class RedisServer:
    """A real redis-server on a free loopback port, with no persistence unless asked."""

    port: int
    workdir: Path
    proc: Any = None
    persistent: bool = False  # append-only file, fsync'ed on every write: a killed Redis keeps every count

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil
        import subprocess

        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (scripts/test.sh installs it)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes" if self.persistent else "no", "--appendfsync", "always",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@contextlib.contextmanager
def run_redis(workdir: Path, persistent: bool = False) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), workdir, persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()
