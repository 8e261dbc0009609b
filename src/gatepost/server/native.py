"""The native HTTP/1.1 server: an asyncio protocol fed to llhttp (httptools) that calls the pipeline directly.

Per connection, requests are answered strictly in order (pipelining-safe): each parsed request (or a
rejection of malformed/oversized input) joins a queue that one task drains. Limits (docs/security.md,
"Limits and deadlines"): 431 once a request head's bytes pass `max_header_bytes` (counted as they arrive,
so a huge header is refused at the cap, not at its end) or its fields pass `max_header_fields`; 413 past
`max_body_bytes` (from Content-Length before reading a byte of body, or while reading a chunked body);
AWS's JSON 400 for bytes that are not HTTP/1.1; after any of these the connection closes.

Deadlines, one timer per connection (deadlines.py): the whole head within `head_timeout` of its first
byte (or of the connection's start), no pause longer than `idle_timeout` inside a body or while the client
is not reading our answer, and a kept-alive connection closed after `idle_timeout` without a request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Protocol

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from gatepost.errors import GatewayError, ResponseType
from gatepost.observe.access_log import head_refusal
from gatepost.pipeline import NO_API_RESPONSES, Exchange
from gatepost.request import GatewayRequest
from gatepost.response import Response
from gatepost.server import wire
from gatepost.server.deadlines import Deadline
from gatepost.server.ids import new_request_id
from gatepost.server.wire import NO_BODY_STATUS, encode_head

if TYPE_CHECKING:
    from gatepost.request_head import HeadPlan, HeadReader
    from gatepost.server.app import GatewayApp
    from gatepost.server.limits import ServerLimits

log = logging.getLogger("gatepost.server")

_METHODS: dict[bytes, str] = {}
_KEEP_ALIVE_10 = "connection: keep-alive\r\n"  # HTTP/1.0 keeps the connection only when told
_CLOSE = "connection: close\r\n"
_BIG_BODY = 65536  # written on its own rather than copied after the head


class _Reject(Exception):
    """A control-flow signal out of a parser callback: answer `error`, then close."""

    def __init__(self, error: GatewayError) -> None:
        self.error = error


class Pending:
    """One request read off the connection, or an answer already decided (a rejection)."""

    __slots__ = ("close", "http10", "keep_alive", "refused", "req", "response")

    def __init__(self, req: GatewayRequest, keep_alive: bool, response: Response | None = None,
                 close: bool = False, http10: bool = False, refused: str | None = None) -> None:
        self.req = req
        self.keep_alive = keep_alive
        self.response = response
        self.close = close
        self.http10 = http10  # HTTP/1.0: keep-alive must be said, and no chunked answers
        self.refused = refused  # the reason code of a refusal decided while reading the head


class Listener(Protocol):
    """What a connection reads of its listening server (listener.py's NativeServer, which imports this)."""

    connections: set[HttpProtocol]
    draining: bool
    limits: ServerLimits

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def waiting_for_room(self) -> bool: ...

    def opened(self, conn: HttpProtocol) -> None: ...

    def closed(self, conn: HttpProtocol) -> None: ...

    def reclaim(self, conn: HttpProtocol) -> bool: ...


_TOO_LARGE = GatewayError(ResponseType.REQUEST_HEADER_FIELDS_TOO_LARGE, "request.headers_too_large")
_TOO_MANY = GatewayError(ResponseType.REQUEST_HEADER_FIELDS_TOO_LARGE, "request.too_many_headers")


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: Listener, app: GatewayApp, scheme: str) -> None:
        self.server = server
        self.app = app
        self.scheme = scheme
        self.max_header = app.max_header
        self.max_fields = server.limits.max_header_fields
        self.max_body = app.max_body
        self.loop = server.loop
        self.deadline = Deadline(self, server.limits)
        self.parser = HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer = "127.0.0.1"
        self.port = ""  # the listening port (X-Forwarded-Port)
        self.queue: deque[Pending] = deque()
        self.task: asyncio.Task[None] | None = None  # answers the queue; lives as long as the connection
        self.busy = False  # an answer is being produced or written
        self._next: asyncio.Future[None] | None = None  # the task waits here for the next request
        self._paused_reading = False
        self.lost = False
        self.eof = False
        self.stopped = False  # no more requests are read: a rejection or `Connection: close` is queued
        self.idle_since: float | None = None  # answered everything, waiting for the next request
        self.reading_since: float | None = None  # a request's first byte came, its last has not
        self.in_body = False  # between a request's head and its last byte
        self.draining_since: float | None = None  # waiting for the client to read what we wrote
        self._head_bytes = 0  # bytes received since the current head (or the wait for one) began
        self._heads = 0  # request heads completed on this connection
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._url = b""
        self._raw: list[tuple[bytes, bytes]] = []
        self._plan: HeadPlan | None = None  # the head reader's plan for this request's header names
        self._plan_of: HeadReader | None = None  # the reader that made it
        self._body: list[bytes] = []
        self._body_size = 0

    # -- asyncio.Protocol ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and peer:
            self.peer = str(peer[0])
        own = transport.get_extra_info("sockname")
        if isinstance(own, tuple) and len(own) > 1:
            self.port = str(own[1])
        self.server.opened(self)
        self.deadline.start(self.loop.time())

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.queue.clear()
        self.deadline.cancel()
        self.server.closed(self)
        self._wake_drain()
        self._wake_task()

    def data_received(self, data: bytes) -> None:
        if self.stopped:
            return
        if not self.in_body:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header:
                self._feed_capped(data)
                return
        self._feed(data)
        if self.reading_since is not None and not self.stopped:
            self.deadline.reading(self.loop.time())  # a request is still coming: its head or body deadline

    def _feed_capped(self, data: bytes) -> None:
        """Past `max_header_bytes` in this read: the head must end within the bytes still allowed, else 431
        now (llhttp would buffer a header line whole before we see it)."""
        room = len(data) - (self._head_bytes - self.max_header)
        heads = self._heads
        self._feed(data[:room])
        if self.stopped:
            return
        if self._heads == heads and not self.in_body:
            self._reject(_TOO_LARGE)
            return
        self.data_received(data[room:])  # the head ended in time: the rest is its body or the next request

    def _feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except HttpParserUpgrade:
            self._stop_reading()  # an upgrade is answered as plain HTTP; what follows it is not HTTP/1.1
        except HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, _Reject):
                self._reject(cause.error)
            else:
                self._bad_request()

    def eof_received(self) -> bool:
        """A half-closed client still gets the answers to what it sent; an idle one is closed."""
        self.eof = True
        if self.busy or self.queue:
            return True
        self._wake_task()  # the task sees `eof` and closes
        return False

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_drain()

    # -- llhttp callbacks ----------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._raw = []
        self._body = []
        self._body_size = 0
        self.idle_since = None
        self.reading_since = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw.append((name, value))

    def on_headers_complete(self) -> None:
        self._heads += 1
        self._head_bytes = 0
        self.in_body = True
        raw = self._raw
        if len(raw) > self.max_fields:
            raise _Reject(_TOO_MANY)
        head = self.app.head
        self._plan = plan = head.plan(raw, self.peer)  # request_head.py: what these names mean, memoised
        self._plan_of = head
        for i in plan.lengths:
            if int(raw[i][1]) > self.max_body:  # llhttp already refused a non-numeric length
                raise _Reject(GatewayError(ResponseType.REQUEST_TOO_LARGE, "request.body_too_large"))
        for i in plan.expects:
            if raw[i][1].lower() == b"100-continue" and self.transport is not None and not self.queue \
                    and not self.busy:
                self.transport.write(wire.CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self.max_body:
            raise _Reject(GatewayError(ResponseType.REQUEST_TOO_LARGE, "request.body_too_large"))
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.reading_since = None
        self.in_body = False
        version = self.parser.get_http_version()
        try:
            req = self._request(version)
        except GatewayError as refused:
            self._reject(refused)
            return
        keep_alive = self.parser.should_keep_alive()
        self._enqueue(Pending(req, keep_alive, None, False, version == "1.0"))
        if not keep_alive:
            self._stop_reading()

    # -- building the request ------------------------------------------------------------------------
    def _request(self, version: str) -> GatewayRequest:
        """The request as the pipeline sees it; GatewayError when its head breaks a rule (request_head.py)."""
        raw_method = self.parser.get_method()
        method = _METHODS.get(raw_method)
        if method is None:
            method = _METHODS.setdefault(raw_method, raw_method.decode("latin-1"))
        head = self.app.head
        path, raw_path, query, headers, host, source = head.read(
            version, self._url, self._raw, self.peer,
            self._plan if self._plan_of is head else None)  # (a reload between head and body: planned anew)
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        return GatewayRequest(
            method=method, path=path, raw_path=raw_path, query_string=query, headers=headers, host=host,
            body=body, source_ip=source, peer_ip=self.peer, scheme=self.scheme, server_port=self.port,
            request_id=new_request_id(), received_at=time.time(),
            raw_headers=self._raw,  # the client's casing, decoded only if an event asks
        )

    # -- rejections ----------------------------------------------------------------------------------
    def _reject(self, error: GatewayError) -> None:
        req = GatewayRequest(method="GET", path="/", source_ip=self.peer, request_id=new_request_id(),
                             received_at=time.time())
        self._enqueue(Pending(req, False, NO_API_RESPONSES.render(error, req), close=True, refused=error.reason))
        self._stop_reading()

    def _bad_request(self) -> None:
        req = GatewayRequest(method="GET", path="/", source_ip=self.peer, request_id=new_request_id(),
                             received_at=time.time())
        self._enqueue(Pending(req, False, None, close=True, refused="request.malformed"))
        self._stop_reading()

    def _stop_reading(self) -> None:
        self.stopped = True
        self._pause_reading()

    def _pause_reading(self) -> None:
        if not self._paused_reading and self.transport is not None and not self.lost:
            self._paused_reading = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._paused_reading and not self.stopped and self.transport is not None and not self.lost:
            self._paused_reading = False
            self.transport.resume_reading()

    # -- answering, in order -------------------------------------------------------------------------
    def _enqueue(self, pending: Pending) -> None:
        self.queue.append(pending)
        if self.task is None:  # one task per connection, not per request: cheaper on keep-alive
            self.task = self.loop.create_task(self._answer_all())
        else:
            waiter, self._next = self._next, None  # (_wake_task, inlined)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            if len(self.queue) > 32:
                self._pause_reading()  # a client pipelining faster than we answer waits

    def _wake_task(self) -> None:
        waiter, self._next = self._next, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _answer_all(self) -> None:
        try:
            while not self.lost:
                if not self.queue:
                    if self.eof or self.stopped:
                        break  # half-closed, or nothing more will be read (Connection: close, an upgrade)
                    now = self.loop.time()
                    if self.reading_since is None:
                        self.idle_since = now
                        self.deadline.idle(now)
                        if self.server.waiting_for_room and self.server.reclaim(self):
                            break
                    else:
                        self.deadline.reading(now)  # the next request is partly in: its deadline again
                    self._next = self.loop.create_future()
                    await self._next
                    continue
                self.busy = True
                pending = self.queue.popleft()
                if pending.refused is not None:
                    keep = self._answer_refusal(pending, pending.refused)
                else:  # (the pipeline awaited here, not in a coroutine of its own: one frame less per request)
                    app = self.app
                    started = time.perf_counter() if app.access_log.enabled else 0.0
                    response, ex = (pending.response, None) if pending.response is not None else \
                        await app.handle(pending.req)
                    if response.stream is None and response.close is None:  # the usual case: no await needed
                        keep = self._reply_whole(pending, response, ex, started)
                    else:
                        keep = await self._reply(pending, response, ex, started)
                if self._write_paused:
                    await self._wait_drain()  # a client not reading its answers gets no more of them
                self.busy = False
                if not keep:
                    break
                if len(self.queue) <= 8:
                    self._resume_reading()
        except Exception:
            log.exception("server.connection_failed")
        finally:
            self.busy = False
            self.task = None
            self._close()

    def _reply_whole(self, pending: Pending, response: Response, ex: Exchange | None, started: float) -> bool:
        """Write an answer held whole; True when the connection stays open for the next request. `started`:
        when the request's access-log line is timed from (0: the access log is off)."""
        keep = pending.keep_alive and not pending.close and not self.server.draining
        try:
            return self._send_whole(pending.req, response, keep, pending.http10)
        finally:
            if started:
                self.app.log(ex, started)

    async def _reply(self, pending: Pending, response: Response, ex: Exchange | None, started: float) -> bool:
        """The same for a streamed answer, or one with a `close` hook."""
        keep = pending.keep_alive and not pending.close and not self.server.draining
        try:
            return await self._send(pending.req, response, keep, pending.http10)
        finally:
            if started:
                self.app.log(ex, started)

    def _answer_refusal(self, pending: Pending, reason: str) -> bool:
        """A head refused before it reached the app: the answer, a log line, and the connection closes."""
        req, response = pending.req, pending.response
        if response is None:
            self._write(wire.bad_request())
        else:
            self._send_whole(req, response, False, False)
        if self.app.access_log.enabled:
            status = 400 if response is None else response.status
            self.app.access_log.write(head_refusal(req.request_id, status, reason, req.source_ip, req.received_at))
        return False

    async def _send(self, req: GatewayRequest, response: Response, keep: bool, http10: bool) -> bool:
        if response.stream is not None and http10 and _content_length(response.headers) is None:
            keep = False  # an HTTP/1.0 client reads a body of unknown length until the connection closes
        if response.stream is not None:
            connection = (_KEEP_ALIVE_10 if http10 else "") if keep else _CLOSE
            return await self._send_stream(req, response, keep, connection, chunked_ok=not http10)
        try:
            return self._send_whole(req, response, keep, http10)
        finally:
            if response.close is not None:
                await response.close()

    def _send_whole(self, req: GatewayRequest, response: Response, keep: bool, http10: bool) -> bool:
        """One write: the head and (unless it is big) the body after it."""
        connection = (_KEEP_ALIVE_10 if http10 else "") if keep else _CLOSE
        status = response.status
        if status in NO_BODY_STATUS or 100 <= status < 200:
            self._write(encode_head(status, response.headers, connection))
        elif req.method == "HEAD":
            length = _content_length(response.headers)
            shown = length if length is not None else str(len(response.body))
            self._write(encode_head(status, response.headers, f"content-length: {shown}\r\n{connection}"))
        else:
            body = response.body
            head = encode_head(status, response.headers, f"content-length: {len(body)}\r\n{connection}")
            if len(body) < _BIG_BODY:
                self._write(head + body)
            else:
                self._write(head)
                self._write(body)
        return keep

    async def _send_stream(self, req: GatewayRequest, response: Response, keep: bool, connection: str,
                           chunked_ok: bool) -> bool:
        assert response.stream is not None
        length = _content_length(response.headers)
        no_body = req.method == "HEAD" or response.status in wire.NO_BODY_STATUS
        chunked = length is None and not no_body and chunked_ok
        framing = f"content-length: {length}\r\n" if length is not None else \
            "transfer-encoding: chunked\r\n" if chunked else ""
        self._write(wire.encode_head(response.status, response.headers, framing + connection))
        sent = 0
        try:
            if not no_body:
                async for data in response.stream:
                    if self.lost:
                        return False
                    if data:
                        sent += len(data)
                        self._write(wire.chunk(data) if chunked else data)
                        if self._write_paused:
                            await self._wait_drain()
            if chunked:
                self._write(wire.LAST_CHUNK)
        except Exception as exc:  # the upstream failed mid-body: the client must see a truncated answer
            log.warning("server.stream_failed request_id=%s error=%s", req.request_id, type(exc).__name__)
            self._abort()
            return False
        finally:
            if response.close is not None:
                await response.close()
        if length is not None and not no_body and sent != int(length):
            self._abort()  # the body did not match its Content-Length: the framing is broken
            return False
        return keep

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.lost:
            self.transport.write(data)

    async def _wait_drain(self) -> None:
        if self._write_paused and not self.lost:
            self._drain = self.loop.create_future()
            self.draining_since = now = self.loop.time()
            self.deadline.draining(now)
            try:
                await self._drain
            finally:
                self.draining_since = None

    def _wake_drain(self) -> None:
        waiter, self._drain = self._drain, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _close(self) -> None:
        if self.transport is not None and not self.lost:
            self.transport.close()

    def _abort(self) -> None:
        if self.transport is not None and not self.lost:
            self.transport.abort()

    # -- the server's housekeeping -------------------------------------------------------------------
    def is_idle(self) -> bool:
        return not self.busy and not self.queue

    def close_if_idle(self) -> bool:
        if self.is_idle() and self.reading_since is None:
            self._close()
            return True
        return False

    def timed_out(self, reason: str) -> None:
        """A deadline passed (deadlines.py): an idle connection is closed, one mid-request or not reading our
        answer is aborted (its buffered bytes dropped)."""
        log.debug("server.%s peer=%s", reason, self.peer)
        self.stopped = True
        if reason == "idle_timeout" and self.transport is not None and not self.transport.get_write_buffer_size():
            self._close()
        else:
            self._abort()


def _content_length(headers: list[tuple[str, str]]) -> str | None:
    """A response's own Content-Length when it is ASCII digits (what goes into the head's framing)."""
    for k, v in headers:
        if len(k) == 14 and k.lower() == "content-length":
            v = v.strip()
            return v if v.isascii() and v.isdigit() else None
    return None
