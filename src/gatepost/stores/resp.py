"""One lean connection to Redis (RESP2, parsed by hiredis) for the hot path: the counters' admission batches.

redis-py's asyncio client costs about 50 to 130 µs of CPU per command here (pool checkout, a timeout context
and a lock per read); this is a bare asyncio Protocol: a command is one `write` of hiredis-packed bytes and
its reply resolves a future in `data_received`, about 10 to 20 µs (bench/counters.py). The URL is redis-py's
(`redis://`, `rediss://`, `unix://`, user, password, db, the ssl_* options), parsed by redis-py, so both
connections to one store agree; TLS uses redis-py's context for the same options.

Commands may be pipelined (replies come in order). Any failure (connect, timeout, a closed socket) closes the
connection and fails every command waiting on it; the next call connects again. A timed-out command is not
retried: it may have run. Error replies raise `ReplyError` and leave the connection open.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url


class ReplyError(Exception):
    """An error reply from Redis (e.g. NOSCRIPT); the connection stays usable."""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None
        self.error: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # (uvloop's transports are not subclasses)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while self.waiting:
            try:
                reply = self.reader.gets()
            except hiredis.ProtocolError:
                self.fail(ConnectionError("Redis sent a reply that is not RESP"))
                return
            if reply is False:
                return
            fut = self.waiting.popleft()
            if not fut.done():
                fut.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        error = self.error or exc or ConnectionError("Redis closed the connection")
        while self.waiting:
            fut = self.waiting.popleft()
            if not fut.done():
                fut.set_exception(error)

    def fail(self, error: BaseException) -> None:
        """Close the connection; every command waiting on it gets `error`."""
        self.error = error
        if self.transport is not None:
            self.transport.abort()  # connection_lost follows, on the next turn of the loop
        else:
            self.connection_lost(None)


class RespConnection:
    def __init__(self, url: str, timeout: float) -> None:
        self.timeout = timeout
        self._options: dict[str, Any] = dict(parse_url(url))
        self._proto: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    async def call(self, *args: Any) -> Any:
        """Send one command, return its reply (hiredis's: bytes, int, list...); ReplyError on an error reply;
        ConnectionError, OSError or TimeoutError when Redis cannot be reached in time."""
        proto = self._proto
        if proto is None or proto.transport is None:
            proto = await self._connect()
        reply = await self._send(proto, args)
        if isinstance(reply, hiredis.ReplyError):
            raise ReplyError(str(reply))
        return reply

    async def _send(self, proto: _Protocol, args: tuple[Any, ...]) -> Any:
        if proto.transport is None:  # lost since it was opened
            raise ConnectionError("Redis closed the connection")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        proto.waiting.append(fut)
        proto.transport.write(hiredis.pack_command(args))
        timer = loop.call_later(self.timeout, proto.fail, TimeoutError("Redis did not answer in time"))
        try:
            return await fut
        finally:
            timer.cancel()

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._proto is not None and self._proto.transport is not None:
                return self._proto
            async with asyncio.timeout(self.timeout):
                proto = await self._open()
                try:
                    await self._handshake(proto)
                except BaseException:
                    proto.fail(ConnectionError("handshake failed"))
                    raise
            self._proto = proto
            return proto

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        o = self._options
        cls = o.get("connection_class")
        if cls is UnixDomainSocketConnection:
            _, proto = await loop.create_unix_connection(_Protocol, o["path"])
            return proto
        tls: ssl.SSLContext | None = None
        if cls is SSLConnection:
            tls = SSLConnection(**{k: v for k, v in o.items() if k != "connection_class"}).ssl_context.get()
        host = o.get("host", "localhost")
        _, proto = await loop.create_connection(_Protocol, host, int(o.get("port", 6379)), ssl=tls,
                                                server_hostname=host if tls else None)
        return proto

    async def _handshake(self, proto: _Protocol) -> None:
        o = self._options
        steps: list[tuple[Any, ...]] = []
        if o.get("password") is not None:
            user = o.get("username")
            steps.append(("AUTH", user, o["password"]) if user else ("AUTH", o["password"]))
        if int(o.get("db", 0) or 0):
            steps.append(("SELECT", int(o["db"])))
        for step in steps:
            reply = await self._send(proto, step)
            if isinstance(reply, hiredis.ReplyError):  # never the reply's text: it may echo the password
                raise ConnectionError(f"Redis refused {step[0]}")

    def close(self) -> None:
        if self._proto is not None:
            self._proto.fail(ConnectionError("closed"))
            self._proto = None
