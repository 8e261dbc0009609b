"""Coalescing: the admissions one process makes while a batch is on its way go out together as the next one.

A request queues its admission and waits for its own answer. When nothing is in flight, one drain task
starts; it first runs on the next turn of the event loop, so every request of the current turn joins the
first batch. While a batch is in flight, new requests queue; when its answer arrives, everything queued
goes out as the next batch (at most `max_batch`). One batch in flight at a time: one round trip to the
store per batch instead of one per request, and the busier the process, the larger the batches. An idle
process sends each admission on the next turn of the loop (a batch of one): no timer, no wait added.

The store's `send` answers a batch in order, one result per entry (the Redis script runs the whole batch
atomically, in order, so each request's answer is exactly the one a call of its own would have got there).
When `send` fails, every request of that batch gets the error; a request cancelled before its batch left
is dropped from it (nothing is counted for it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from gatepost.closing import cancel_and_wait

E = TypeVar("E")  # one admission
R = TypeVar("R")  # its answer

MAX_BATCH = 256  # admissions per batch: bounds the time one script holds Redis (about 1 ms)


class Coalescer(Generic[E, R]):
    def __init__(self, send: Callable[[Sequence[E]], Awaitable[Sequence[R]]], max_batch: int = MAX_BATCH) -> None:
        self._send = send
        self.max_batch = max_batch
        self._queue: list[tuple[E, asyncio.Future[R]]] = []
        self._drain: asyncio.Task[None] | None = None
        self.batches = 0  # batches sent (for tests and the bench)

    async def submit(self, entry: E) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._queue.append((entry, fut))
        if self._drain is None:
            self._drain = loop.create_task(self._run())
        return await fut

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = [(e, f) for e, f in self._queue[:self.max_batch] if not f.done()]
                del self._queue[:self.max_batch]
                if batch:
                    await self._answer(batch)
        finally:
            self._drain = None
            self._cancel(self._queue)  # left only when the drain itself was cancelled
            self._queue = []

    async def _answer(self, batch: list[tuple[E, asyncio.Future[R]]]) -> None:
        self.batches += 1
        try:
            results = await self._send([e for e, _ in batch])
            if len(results) != len(batch):
                raise ValueError(f"{len(results)} answers to a batch of {len(batch)}")
        except asyncio.CancelledError:
            self._cancel(batch)
            raise
        except Exception as exc:  # the store's error reaches every request of the batch
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)

    @staticmethod
    def _cancel(batch: list[tuple[E, asyncio.Future[R]]]) -> None:
        for _, fut in batch:
            fut.cancel()  # (no-op on a future already done)

    async def close(self) -> None:
        """Stops the drain (the requests still waiting are cancelled)."""
        await cancel_and_wait(self._drain)
