"""Coalescing admissions (stores/counters_batch.py): what one event-loop turn queues goes out as one batch,
what queues while a batch is in flight goes out as the next one, and every request gets its own answer
or its batch's error. The store here is a plain function that answers each entry with itself doubled and
records the batches it was sent; Redis's side is held by the counters contract suite."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gatepost.stores.counters_batch import Coalescer


class Store:
    def __init__(self) -> None:
        self.sent: list[list[int]] = []
        self.gate: asyncio.Event | None = None  # when set: each batch waits for it (a batch in flight)
        self.error: Exception | None = None

    async def send(self, batch: Sequence[int]) -> list[int]:
        self.sent.append(list(batch))
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return [e * 2 for e in batch]


async def one_in_flight() -> tuple[Store, Coalescer[int, int], asyncio.Future[int]]:
    """A coalescer whose first batch, [1], is in flight until `store.gate` is set."""
    store = Store()
    store.gate = asyncio.Event()
    c: Coalescer[int, int] = Coalescer(store.send)
    first = asyncio.ensure_future(c.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return store, c, first


async def test_one_turn_is_one_batch_and_each_request_gets_its_own_answer() -> None:
    store = Store()
    c: Coalescer[int, int] = Coalescer(store.send)
    assert await asyncio.gather(*(c.submit(i) for i in range(100))) == [i * 2 for i in range(100)]
    assert store.sent == [list(range(100))]
    assert await c.submit(7) == 14  # an idle coalescer sends at once: a batch of one
    assert store.sent[-1] == [7] and c.batches == 2


async def test_requests_made_while_a_batch_is_in_flight_go_out_together_next() -> None:
    store, c, first = await one_in_flight()
    assert store.sent == [[1]]  # in flight
    later = [asyncio.ensure_future(c.submit(i)) for i in range(2, 12)]
    await asyncio.sleep(0)
    assert store.sent == [[1]]  # queued behind it, not sent
    store.gate.set()
    assert await first == 2 and await asyncio.gather(*later) == [i * 2 for i in range(2, 12)]
    assert store.sent == [[1], list(range(2, 12))]


async def test_batches_are_at_most_max_batch() -> None:
    store = Store()
    c: Coalescer[int, int] = Coalescer(store.send, max_batch=8)
    assert await asyncio.gather(*(c.submit(i) for i in range(20))) == [i * 2 for i in range(20)]
    assert [len(b) for b in store.sent] == [8, 8, 4]
    assert [e for b in store.sent for e in b] == list(range(20))  # in order


async def test_a_failed_batch_fails_each_of_its_requests_and_the_next_batch_runs() -> None:
    store = Store()
    store.error = ConnectionError("down")
    c: Coalescer[int, int] = Coalescer(store.send)
    results = await asyncio.gather(*(c.submit(i) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    store.error = None
    assert await c.submit(3) == 6


async def test_a_request_cancelled_before_its_batch_left_is_not_sent() -> None:
    store, c, first = await one_in_flight()
    gone, kept = asyncio.ensure_future(c.submit(2)), asyncio.ensure_future(c.submit(3))
    await asyncio.sleep(0)
    gone.cancel()
    store.gate.set()
    assert await first == 2 and await kept == 6
    assert store.sent == [[1], [3]]  # 2 was never counted


async def test_a_wrong_number_of_answers_fails_the_batch_instead_of_misrouting_them() -> None:
    async def short(batch: Sequence[int]) -> list[int]:
        return [0] * (len(batch) - 1)

    c: Coalescer[int, int] = Coalescer(short)
    with pytest.raises(ValueError, match="answers to a batch of 2"):
        await asyncio.gather(c.submit(1), c.submit(2))


async def test_close_cancels_the_requests_still_waiting() -> None:
    store = Store()
    store.gate = asyncio.Event()
    c: Coalescer[int, int] = Coalescer(store.send)
    waiting = [asyncio.ensure_future(c.submit(i)) for i in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    await c.close()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
