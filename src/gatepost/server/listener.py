"""NativeServer: accepts on one listening socket up to `max_connections` open connections (then leaves new
ones in the kernel's backlog: back-pressure, not refusal), serves each with HttpProtocol, drains on stop.

At the cap, idle kept-alive connections are closed first to make room (their clients reconnect at no cost);
connections still sending a request leave by themselves within `head_timeout` / `idle_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import TYPE_CHECKING

from gatepost.closing import cancel_and_wait, close_all
from gatepost.server.limits import ServerLimits
from gatepost.server.native import HttpProtocol

if TYPE_CHECKING:
    from gatepost.server.app import GatewayApp

log = logging.getLogger("gatepost.server")

ACCEPT_RETRY = 0.1  # seconds to wait after accept() fails (EMFILE: out of file descriptors)


class NativeServer:
    def __init__(self, app: GatewayApp, *, ssl_context: ssl.SSLContext | None = None,
                 limits: ServerLimits | None = None) -> None:
        self.app = app
        self.ssl = ssl_context
        self.limits = limits or ServerLimits.of(app.gw.config.server)
        self.connections: set[HttpProtocol] = set()
        self.draining = False
        self._opening = 0  # accepted sockets whose protocol is not made yet (a TLS handshake)
        self._connecting: set[asyncio.Task[None]] = set()
        self._room: asyncio.Future[None] | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "server not started"
        return self._loop

    async def start(self, sock: socket.socket) -> None:
        """Start the gateway (authorizers, pools, watchers), then accept on `sock` (bound and listening)."""
        self._loop = asyncio.get_running_loop()
        await self.app.startup()
        self._sock = sock
        self._acceptor = self._loop.create_task(self._accept(sock, "https" if self.ssl is not None else "http"))

    # -- accepting, within the cap ---------------------------------------------------------------------
    async def _accept(self, sock: socket.socket, scheme: str) -> None:
        """Accept one connection; at the cap, hold it (unread) until a place frees, leaving the rest in the
        backlog; under the cap, take what else waits in the backlog without another wake-up."""
        loop = self.loop
        cap = self.limits.max_connections
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:
                log.warning("server.accept_failed errno=%s", exc.errno)
                await asyncio.sleep(ACCEPT_RETRY)
                continue
            if self._open() >= cap:
                await self._wait_for_room()
            self._serve(conn, scheme)
            while self._open() < cap:
                try:
                    conn, _ = sock.accept()
                except OSError:  # BlockingIOError: the backlog is empty (others: retried by the await above)
                    break
                self._serve(conn, scheme)

    def _serve(self, conn: socket.socket, scheme: str) -> None:
        conn.setblocking(False)
        self._opening += 1
        task = self.loop.create_task(self._connect(conn, scheme))
        self._connecting.add(task)  # held until done: the loop keeps only a weak reference to a task
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, conn: socket.socket, scheme: str) -> None:
        try:
            await self.loop.connect_accepted_socket(
                lambda: HttpProtocol(self, self.app, scheme), conn, ssl=self.ssl,
                ssl_handshake_timeout=self.limits.head_timeout if self.ssl is not None else None)
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            log.debug("server.connect_failed error=%s", type(exc).__name__)
            conn.close()
        finally:
            self._opening -= 1
            self._wake_accept()

    @property
    def waiting_for_room(self) -> bool:
        return self._room is not None

    def _open(self) -> int:
        return len(self.connections) + self._opening

    async def _wait_for_room(self) -> None:
        """At the cap: an idle kept-alive connection gives its place (now, or as soon as one goes idle);
        else a place frees when a connection closes (its client left, or a deadline closed it)."""
        self._room = self.loop.create_future()
        for conn in self.connections:
            if self.reclaim(conn):
                break
        try:
            await self._room
        finally:
            self._room = None

    def reclaim(self, conn: HttpProtocol) -> bool:
        """Close `conn` if a client waits for a place and `conn` is idle between requests."""
        if self._room is not None and conn.idle_since is not None and conn.reading_since is None:
            return conn.close_if_idle()
        return False

    def _wake_accept(self) -> None:
        room = self._room
        if room is not None and not room.done() and self._open() < self.limits.max_connections:
            room.set_result(None)

    # -- HttpProtocol's calls --------------------------------------------------------------------------
    def opened(self, conn: HttpProtocol) -> None:
        self.connections.add(conn)

    def closed(self, conn: HttpProtocol) -> None:
        self.connections.discard(conn)
        self._wake_accept()

    # -- stopping ----------------------------------------------------------------------------------------
    async def stop(self, timeout: float) -> None:
        """Stop accepting, let in-flight requests finish (their connections then close), for up to
        `timeout` seconds; then close what is left and stop the gateway (even when the drain failed)."""
        await close_all([("drain", lambda: self._drain(timeout)), ("app", self.app.shutdown)])

    async def _drain(self, timeout: float) -> None:
        self.draining = True
        await cancel_and_wait(self._acceptor)
        if self._sock is not None:
            self._sock.close()  # what waits in the backlog is refused now, not after the drain
        for conn in list(self.connections):
            conn.close_if_idle()
        deadline = self.loop.time() + timeout
        while any(not c.is_idle() for c in self.connections) and self.loop.time() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
