"""Request heads (and what follows them) through the native server's protocol, in process: the bytes are fed
in drawn pieces to HttpProtocol over a transport that records what is written, a real gateway behind it
(mock routes, an API-key route, a resource policy). Every answer must be well framed and 4xx or 2xx (the
routes cannot fail), nothing may be logged as a failed connection, and at most max_header_bytes plus one
read may be buffered for a head."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from fuzz.draw import Draw
from gatepost.bootstrap import build_gateway
from gatepost.observe.access_log import AccessLog
from gatepost.server.app import GatewayApp
from gatepost.server.limits import ServerLimits
from gatepost.server.native import HttpProtocol
from gatepost.stores.memory import MemoryCatalog

CONFIG = """
server: {access_log: "off", max_header_bytes: 2048, max_body_bytes: 512, max_header_fields: 16}
apis:
  t:
    routes:
      - {route: "GET /ok", public: true}
      - {route: "ANY /items/{id}", public: true}
      - {route: "ANY /files/{proxy+}", public: true}
      - {route: "POST /keyed", public: true, api_key_required: true}
    integration: {mock: {status: 200, body: ok}}
"""
LINES = [b"GET /ok HTTP/1.1\r\n", b"POST /items/7 HTTP/1.1\r\n", b"GET /files/a/../b HTTP/1.0\r\n",
         b"GET http://x/ok HTTP/1.1\r\n", b"OPTIONS * HTTP/1.1\r\n", b"GET /ok HTTP/2.0\r\n", b"GET /%zz HTTP/1.1\r\n",
         b"HEAD /ok HTTP/1.1\r\n", b"POST /keyed HTTP/1.1\r\n", b"GET /_gatepost/health HTTP/1.1\r\n"]
HEADERS = [b"Host: x\r\n", b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n", b"Connection: close\r\n",
           b"Expect: 100-continue\r\n", b"X-Api-Key: nope\r\n", b"Content-Length: 99999\r\n", b"Upgrade: h2c\r\n",
           b"Connection: keep-alive\r\n", b"X-Forwarded-For: 1.2.3.4\r\n", b"Authorization: Bearer x\r\n",
           b"Content-Length: -1\r\n", b"Host: y\r\n", b"X: " + b"v" * 600 + b"\r\n", b" folded\r\n"]
BODIES = [b"hello", b"5\r\nhello\r\n0\r\n\r\n", b"ffffffff\r\n", b"0\r\n\r\n", b""]
STATUS = re.compile(rb"HTTP/1\.1 (\d{3}) ")


class _Transport:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    abort = close

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default


class _Listener:
    def __init__(self, loop: asyncio.AbstractEventLoop, limits: ServerLimits) -> None:
        self.loop = loop
        self.limits = limits
        self.connections: set[HttpProtocol] = set()
        self.draining = False
        self.waiting_for_room = False

    def opened(self, conn: HttpProtocol) -> None:
        self.connections.add(conn)

    def closed(self, conn: HttpProtocol) -> None:
        self.connections.discard(conn)

    def reclaim(self, conn: HttpProtocol) -> bool:
        return False


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or "failed" in record.getMessage():
            self.seen.append(record.getMessage())


_LOOP = asyncio.new_event_loop()
_GW = build_gateway(text=CONFIG, catalog=MemoryCatalog())
_APP = GatewayApp(_GW, AccessLog("off"))
_LOOP.run_until_complete(_APP.startup())
_LISTENER = _Listener(_LOOP, ServerLimits.of(_GW.config.server))
_FAILURES = _Failures()
logging.getLogger("gatepost").addHandler(_FAILURES)


def _stream(d: Draw) -> bytes:
    parts: list[bytes] = []
    for _ in range(1 + d.int(3)):
        parts.append(d.choice(LINES) if d.int(6) else d.raw(40))
        for _ in range(d.int(6)):
            parts.append(d.choice(HEADERS) if d.int(5) else d.raw(30) + b"\r\n")
        parts.append(b"\r\n")
        if d.bool():
            parts.append(d.choice(BODIES) if d.bool() else d.raw(20))
    if d.int(8) == 0:
        parts.append(b"X-Long: " + b"z" * d.int(8192))
    return b"".join(parts)


def one_input(data: bytes) -> None:
    d = Draw(data)
    stream = _stream(d)
    transport = _Transport()
    conn = HttpProtocol(_LISTENER, _APP, "http")
    conn.connection_made(transport)  # type: ignore[arg-type]
    _FAILURES.seen.clear()
    at = 0
    while at < len(stream) and not transport.closed:
        n = 1 + d.int(len(stream))
        conn.data_received(stream[at:at + n])
        at += n
        _LOOP.run_until_complete(asyncio.sleep(0))
    if not transport.closed:
        conn.eof_received()
    for _ in range(200):
        if conn.task is None:
            break
        _LOOP.run_until_complete(asyncio.sleep(0))
    conn.connection_lost(None)
    _LOOP.run_until_complete(asyncio.sleep(0))
    _check(b"".join(transport.out), conn)


def _check(out: bytes, conn: HttpProtocol) -> None:
    if _FAILURES.seen:
        raise AssertionError(f"logged: {_FAILURES.seen}")
    statuses = [int(s) for s in STATUS.findall(out)]
    if out and not out.startswith(b"HTTP/1.1 "):
        raise AssertionError(f"answer does not start with a status line: {out[:80]!r}")
    bad = [s for s in statuses if s >= 500]
    if bad:
        raise AssertionError(f"5xx answered: {bad} in {out[:300]!r}")
    if len(conn._url) > 2048 + 262144:
        raise AssertionError("the request target grew past the head cap")
