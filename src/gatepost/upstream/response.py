"""UpstreamResponse: status and headers first, then a body that is either complete or streamed.

Small answers usually arrive in one read: `body_if_complete()` hands them over without any streaming
machinery. Larger ones are read with `chunks()` (an async iterator); the connection pauses reading when more than
`HIGH_WATER` bytes wait for the consumer, so a slow client never makes the gateway buffer a whole body.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Protocol

from gatepost.upstream.errors import UpstreamError, UpstreamTimeout

HIGH_WATER = 256 * 1024


class FlowControl(Protocol):
    """What a response asks of its connection (connection.py, which imports this module)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def abort(self) -> None: ...


class UpstreamResponse:
    __slots__ = ("_buffered", "_chunks", "_conn", "_error", "_waiter", "complete", "headers", "status")

    def __init__(self, conn: FlowControl) -> None:
        self._conn: FlowControl | None = conn  # None once the message is complete or aborted
        self.status = 0
        self.headers: list[tuple[str, str]] = []  # lower-case names, order and repeats kept
        self.complete = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None

    # -- fed by the connection --------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        if self._buffered > HIGH_WATER and self._conn is not None:
            self._conn.pause()
        if self._waiter is not None:  # (no one waits when the body came with the head: the usual case)
            self._wake()

    def finish(self) -> None:
        self.complete = True
        self._conn = None
        if self._waiter is not None:
            self._wake()

    def fail(self, exc: BaseException) -> None:
        if not self.complete and self._error is None:
            self._error = exc
            self._conn = None
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- read by the consumer ---------------------------------------------------------------------
    def body_if_complete(self) -> bytes | None:
        if not self.complete:
            return None
        body = b"".join(self._chunks)
        self._chunks.clear()
        return body

    def chunks(self, idle_timeout: float) -> AsyncIterator[bytes]:
        """The body as it arrives; raises UpstreamError when the upstream fails or goes quiet mid-body."""
        return _Chunks(self, idle_timeout)

    async def read(self, idle_timeout: float = 30.0) -> bytes:
        return b"".join([c async for c in self.chunks(idle_timeout)])

    async def _wait(self, idle_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_later(idle_timeout, self._quiet)
        try:
            await self._waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _quiet(self) -> None:
        conn = self._conn
        self.fail(UpstreamTimeout("upstream went quiet mid-body"))
        if conn is not None:
            conn.abort()

    def close(self) -> None:
        """Done with the response: an unfinished body makes its connection unusable, so it is dropped."""
        conn = self._conn
        if conn is not None and not self.complete:
            self._conn = None
            conn.abort()
        if self._error is None and not self.complete:
            self._error = UpstreamError("response closed by the consumer")


class _Chunks:
    """`UpstreamResponse.chunks`: an async iterator written as a class (mypyc compiles this module, and cannot
    compile an async generator). Once it has raised or ended, it stays ended, as a generator would."""

    def __init__(self, response: UpstreamResponse, idle_timeout: float) -> None:
        self.response = response
        self.idle_timeout = idle_timeout
        self.ended = False

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        r = self.response
        while not self.ended:
            if r._chunks:
                chunk = r._chunks.popleft()
                r._buffered -= len(chunk)
                if r._conn is not None and r._buffered <= HIGH_WATER // 4:
                    r._conn.resume()
                return chunk
            if r._error is not None:
                self.ended = True
                raise r._error
            if r.complete:
                break
            await r._wait(self.idle_timeout)
        self.ended = True
        raise StopAsyncIteration
