"""One timer per connection for all of its deadlines (head, body, write, keep-alive).

The connection moves `at` as its state changes (a float store, no timer call); the timer is only moved
when a deadline comes *earlier* than the one it is set for (a head that did not arrive in one read). When
it fires early for a deadline that has since moved later, it re-arms itself once. A keep-alive connection
serving request after request so costs one timer per `idle_timeout`, not one per request or per chunk.
Times are the event loop's (`loop.time()`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sized
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gatepost.server.limits import ServerLimits


class Connection(Protocol):
    """What the timer reads of a connection (native.py's HttpProtocol, which imports this module)."""

    loop: asyncio.AbstractEventLoop
    lost: bool
    busy: bool
    in_body: bool
    reading_since: float | None
    idle_since: float | None
    draining_since: float | None

    @property
    def queue(self) -> Sized: ...

    def timed_out(self, reason: str) -> None: ...


class Deadline:
    __slots__ = ("at", "conn", "head_timeout", "idle_timeout", "loop", "timer", "timer_at")

    def __init__(self, conn: Connection, limits: ServerLimits) -> None:
        self.conn = conn
        self.loop: asyncio.AbstractEventLoop = conn.loop
        self.head_timeout = limits.head_timeout
        self.idle_timeout = limits.idle_timeout
        self.at = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0

    def start(self, now: float) -> None:
        """A new connection: its first request head must be in within `head_timeout`."""
        self._set(now + self.head_timeout)

    def idle(self, now: float) -> None:
        """Everything answered: the next request must begin within `idle_timeout`."""
        self._set(now + self.idle_timeout)

    def reading(self, now: float) -> None:
        """A request is partly in: its head within `head_timeout` of its first byte; a body's bytes no
        further apart than `idle_timeout`."""
        conn = self.conn
        if conn.in_body:
            self._set(now + self.idle_timeout)
        elif conn.reading_since is not None:
            self._set(conn.reading_since + self.head_timeout)

    def draining(self, now: float) -> None:
        """The client is not reading our answer: it must take some of it within `idle_timeout`."""
        self._set(now + self.idle_timeout)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _set(self, at: float) -> None:
        self.at = at
        if self.timer is None or at < self.timer_at:
            self._arm()

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at = self.at
        self.timer = self.loop.call_at(self.at, self._fire)

    def _fire(self) -> None:
        self.timer = None
        conn = self.conn
        if conn.lost:
            return
        if self.loop.time() < self.at:
            self._arm()  # the deadline moved later since the timer was set
            return
        reason = overdue(conn)
        if reason is not None:
            conn.timed_out(reason)


def overdue(conn: Connection) -> str | None:
    """What the passed deadline was for; None while a request is being answered (the integration's own
    timeout bounds that; the connection re-arms when it is done)."""
    if conn.draining_since is not None:
        return "write_timeout"
    if conn.busy or conn.queue:
        return None
    if conn.reading_since is not None:
        return "body_timeout" if conn.in_body else "head_timeout"
    return "idle_timeout" if conn.idle_since is not None else "head_timeout"
