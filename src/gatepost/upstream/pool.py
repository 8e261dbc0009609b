"""Pool: keep-alive connections to one origin, most recently used first.

`request()` takes an idle connection (or opens one), writes the request, and returns the response once
its head has arrived. A reused connection that the upstream closed while it sat idle (the keep-alive
race) is retried once on a fresh connection, for idempotent methods only (RFC 9110 section 9.2.2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from gatepost.upstream.connection import UpstreamConnection
from gatepost.upstream.errors import UpstreamClosed, UpstreamError, UpstreamTimeout
from gatepost.upstream.head import Headers, Lines, encode_lines, lines_of
from gatepost.upstream.origin import Origin
from gatepost.upstream.response import UpstreamResponse

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})  # no Content-Length: 0 when empty


class Pool:
    def __init__(self, origin: Origin, *, connect_timeout: float = 10.0, idle_timeout: float = 30.0,
                 max_idle: int = 256) -> None:
        self.origin = origin
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.max_idle = max_idle
        self.idle: list[UpstreamConnection] = []
        self.opened = 0  # connections opened so far (tests and the bench read it)
        self._ssl = origin.ssl_context()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def request(self, method: str, target: str, headers: Headers, body: bytes, *, timeout: float,
                host: str | None = None) -> Coroutine[Any, Any, UpstreamResponse]:
        """Raises UpstreamError (UpstreamTimeout when `timeout` seconds pass before the response head)."""
        return self.request_lines(method, target, lines_of(headers), body, timeout=timeout, host=host)

    async def request_lines(self, method: str, target: str, lines: Lines, body: bytes, *, timeout: float,
                            host: str | None = None) -> UpstreamResponse:
        """The same with the header lines already formatted (`name: value\r\n`, upstream/head.py): an
        integration that builds them in the pass that filters them."""
        now = (self._loop or self.loop).time()
        deadline = now + timeout
        length = len(body) if body or method not in _NO_BODY_METHODS else None
        head = encode_lines(method, target, host or self.origin.host_header, lines, length)
        conn = self._take_idle(now)
        if conn is not None:
            try:
                return await conn.send(head, body, method == "HEAD", deadline)
            except UpstreamClosed as exc:
                if not (exc.before_response and method in IDEMPOTENT):
                    raise
        conn = await self._connect(deadline)
        return await conn.send(head, body, method == "HEAD", deadline)

    def _take_idle(self, now: float) -> UpstreamConnection | None:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and now - conn.idle_since < self.idle_timeout:
                return conn
            conn.abort()
        return None

    async def _connect(self, deadline: float) -> UpstreamConnection:
        o = self.origin
        budget = min(self.connect_timeout, deadline - self.loop.time())
        try:
            async with asyncio.timeout(max(budget, 0.001)):
                _, conn = await self.loop.create_connection(
                    lambda: UpstreamConnection(self), o.host, o.port, ssl=self._ssl,
                    server_hostname=o.host if self._ssl else None)
        except TimeoutError:
            raise UpstreamTimeout(f"connecting to {o.host}:{o.port} timed out") from None  # TCP_NODELAY is the default
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {o.host}:{o.port}: {exc.strerror or exc}") from None
        self.opened += 1
        return conn

    def release(self, conn: UpstreamConnection) -> None:
        if len(self.idle) >= self.max_idle:
            conn.abort()
            return
        conn.idle_since = self.loop.time()
        self.idle.append(conn)

    def forget(self, conn: UpstreamConnection) -> None:
        if conn in self.idle:
            self.idle.remove(conn)

    async def close(self) -> None:
        idle, self.idle = self.idle, []
        for conn in idle:
            conn.abort()
