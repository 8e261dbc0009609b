"""One keep-alive HTTP/1.1 connection to an upstream: an asyncio protocol fed to llhttp (httptools).

One exchange at a time (no client-side pipelining). The connection goes back to its pool as soon as the
response message is complete (the body stays buffered in the UpstreamResponse) and only when that is
safe: the upstream allows keep-alive, the whole request was written, and nothing extra arrived.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from httptools import HttpParserError, HttpResponseParser

from gatepost.upstream.errors import UpstreamClosed, UpstreamError, UpstreamProtocolError, UpstreamTimeout
from gatepost.upstream.response import UpstreamResponse


class Owner(Protocol):
    """What a connection asks of its pool (pool.py, which imports this module)."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    def release(self, conn: UpstreamConnection) -> None: ...

    def forget(self, conn: UpstreamConnection) -> None: ...


_NAMES: dict[bytes, str] = {}  # header names as received -> lower-case str (the first 1,024 names seen)


def _name(raw: bytes) -> str:
    name = raw.decode("latin-1").lower()
    if len(_NAMES) < 1024:
        _NAMES[raw] = name
    return name


class _Unexpected(Exception):
    """Bytes arrived that belong to no exchange."""


class UpstreamConnection(asyncio.Protocol):
    def __init__(self, pool: Owner) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = HttpResponseParser(self)
        self.resp: UpstreamResponse | None = None
        self.closed = False
        self.idle_since = 0.0
        self._head: asyncio.Future[UpstreamResponse] | None = None
        # the head timeout: one timer per connection, re-armed only when it fires early (a timer per request
        # cost a heap push and a cancel every time); it acts only while a head is awaited
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._deadline = 0.0
        self._raw: list[tuple[bytes, bytes]] = []
        self._head_only = False  # a HEAD request: the answer has no body whatever its headers say
        self._informational = False  # a 1xx answer before the real one
        self._keep_alive = False
        self._length_known = False  # Content-Length or chunked: the body does not end at EOF
        self._seen_bytes = False
        self._paused = False

    # -- asyncio.Protocol ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.resp is None:
            self.abort()  # an idle connection must stay silent
            return
        self._seen_bytes = True
        try:
            self.parser.feed_data(data)
        except HttpParserError as exc:
            cause = exc.__context__
            self._fail(cause if isinstance(cause, UpstreamError) else UpstreamProtocolError(str(exc)))
            self.abort()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        resp = self.resp
        if resp is not None:
            if resp.status and not self._length_known and not self._informational:
                self._keep_alive = False
                self._complete()  # a close-delimited body ends here
            else:
                self._fail(UpstreamClosed(before_response=not self._seen_bytes))
        self.pool.forget(self)

    def pause_writing(self) -> None:  # large request bodies are written whole; nothing to pause
        pass

    def resume_writing(self) -> None:
        pass

    # -- one exchange --------------------------------------------------------------------------------
    def send(self, head: bytes, body: bytes, head_only: bool, deadline: float) -> asyncio.Future[UpstreamResponse]:
        assert self.transport is not None
        loop = self.pool.loop
        self.resp = UpstreamResponse(self)
        self._head = loop.create_future()
        self._head_only = head_only
        self._seen_bytes = False
        self._deadline = deadline
        if self._timer is None or deadline < self._timer_at:
            self._arm(deadline)
        if body:
            self.transport.writelines((head, body)) if len(body) > 16384 else self.transport.write(head + body)
        else:
            self.transport.write(head)
        return self._head

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.pool.loop.call_at(when, self._check_deadline)

    def _check_deadline(self) -> None:
        self._timer = None
        if self._head is None or self.closed:
            return  # the head arrived (or the exchange ended): nothing to time out
        if self.pool.loop.time() < self._deadline:
            self._arm(self._deadline)  # armed for an earlier exchange: wait for this one's deadline
            return
        self._timed_out()

    def _timed_out(self) -> None:
        self._fail(UpstreamTimeout("no response within the integration timeout"))
        self.abort()

    def _fail(self, exc: UpstreamError) -> None:
        self._cancel_timer()
        head, self._head = self._head, None
        if head is not None and not head.done():
            head.set_exception(exc)
        resp, self.resp = self.resp, None
        if resp is not None:
            resp.fail(exc)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _complete(self) -> None:
        resp, self.resp = self.resp, None
        assert resp is not None
        reusable = self._keep_alive and not self.closed and self.transport is not None \
            and self.transport.get_write_buffer_size() == 0
        if self._head_only:
            self.parser = HttpResponseParser(self)  # the old one still waits for the body HEAD never gets
        self._resume()
        resp.finish()
        if reusable:
            self.pool.release(self)
        else:
            self.abort()

    # -- llhttp callbacks ----------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.resp is None:
            raise _Unexpected
        self._raw = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            if status == 101:
                raise UpstreamProtocolError("upstream switched protocols (101); only HTTP/1.1 is proxied")
            self._informational = True  # 100 Continue, 103 Early Hints: wait for the real answer
            return
        self._informational = False
        self._keep_alive = self.parser.should_keep_alive()
        headers = [(_NAMES.get(k) or _name(k), v.decode("latin-1")) for k, v in self._raw]
        known = status in (204, 304)
        if not known:
            for k, _ in headers:
                if k == "content-length" or k == "transfer-encoding":
                    known = True
                    break
        self._length_known = known
        resp = self.resp
        assert resp is not None
        resp.status, resp.headers = status, headers
        head, self._head = self._head, None  # the head timer now finds nothing to time out
        if head is not None and not head.done():
            head.set_result(resp)
        if self._head_only:
            self._complete()

    def on_body(self, body: bytes) -> None:
        if self.resp is not None and not self._informational:
            self.resp.feed(body)

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        if self.resp is not None:
            self._complete()

    # -- flow control --------------------------------------------------------------------------------
    def pause(self) -> None:
        if not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        self._resume()

    def _resume(self) -> None:
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def abort(self) -> None:
        self.closed = True
        self._cancel_timer()
        if self.transport is not None:
            self.transport.abort()
