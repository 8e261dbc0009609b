"""Slots: at most `size` calls at once, counted on the event loop's thread.

What `asyncio.Semaphore` does for the Lambda pools (handler threads, authorizer threads), without its
per-call costs on the usual path: Python 3.11's `Semaphore.locked()` builds a generator on every call and
`acquire()` is a coroutine even when a slot is free. Here a free slot is a counter decrement.

- `try_take()`: a free slot now, or False. `take(timeout)`: a free slot at once; else the caller queues
  (first come, first served) until a slot is handed to it or `timeout` seconds pass (TimeoutError). A
  released slot goes straight to the first caller still waiting, so a newcomer never overtakes the queue.
- `release()`: the loop's thread only, once per slot taken (`lambda_instances.loop_release` guards that).
- A caller cancelled while waiting leaves the queue; one cancelled just after a slot was handed to it
  passes the slot on, so no slot is ever lost.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class Slots:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("Slots needs at least one slot")
        self.size = size
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def busy(self) -> bool:
        """Every slot is taken: a caller now would wait."""
        return self.free == 0

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def try_take(self) -> bool:
        """A free slot now (True), else nothing (False): no coroutine for the usual case."""
        if self.free > 0:
            self.free -= 1
            return True
        return False

    async def take(self, timeout: float) -> None:
        if self.try_take():
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(timeout, expire, waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # a slot was handed over as the caller was cancelled: pass it on
            else:
                self._forget(waiter)
            raise
        finally:
            timer.cancel()

    def release(self) -> None:
        """Hand the slot to the first caller still waiting, else count it free."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        if self.free >= self.size:
            raise RuntimeError("Slots released more often than taken")
        self.free += 1

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            pass  # already taken off by a release that found it done


def expire(waiter: asyncio.Future[Any]) -> None:
    """A timer's callback: the waiter still pending gets TimeoutError (one that ended meanwhile is left alone)."""
    if not waiter.done():
        waiter.set_exception(TimeoutError())
