"""NativeServer: one listening socket served by HttpProtocol, keep-alive housekeeping, graceful drain."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import TYPE_CHECKING

from gatepost.server.native import HttpProtocol

if TYPE_CHECKING:
    from gatepost.server.app import GatewayApp

log = logging.getLogger("gatepost.server")

KEEP_ALIVE_TIMEOUT = 30.0  # an idle keep-alive connection is closed after this long (uvicorn's setting here)
READ_TIMEOUT = 60.0  # a request whose head and body are not in after this long is dropped (slow clients)
SWEEP_INTERVAL = 1.0


class NativeServer:
    def __init__(self, app: GatewayApp, *, ssl_context: ssl.SSLContext | None = None,
                 keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT, read_timeout: float = READ_TIMEOUT) -> None:
        self.app = app
        self.ssl = ssl_context
        self.keep_alive_timeout = keep_alive_timeout
        self.read_timeout = read_timeout
        self.connections: set[HttpProtocol] = set()
        self.draining = False
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "server not started"
        return self._loop

    async def start(self, sock: socket.socket) -> None:
        """Start the gateway (authorizers, pools, watchers), then accept on `sock` (already bound)."""
        self._loop = asyncio.get_running_loop()
        await self.app.startup()
        scheme = "https" if self.ssl is not None else "http"
        self._server = await self._loop.create_server(
            lambda: HttpProtocol(self, self.app, scheme), sock=sock, ssl=self.ssl, backlog=4096)
        self._sweeper = self._loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            now = self.loop.time()
            for conn in list(self.connections):
                idle = conn.idle_since is not None and now - conn.idle_since > self.keep_alive_timeout
                slow = conn.reading_since is not None and now - conn.reading_since > self.read_timeout
                if idle or slow:
                    conn.close_if_idle()

    async def stop(self, timeout: float) -> None:
        """Stop accepting, let in-flight requests finish (their connections then close), for up to
        `timeout` seconds; then close what is left and stop the gateway."""
        self.draining = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close_if_idle()
        deadline = self.loop.time() + timeout
        while any(not c.is_idle() for c in self.connections) and self.loop.time() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
        await self.app.shutdown()
