"""Slots (the Lambda pools' admission): a free slot is taken at once, a busy pool queues callers first come first
served until their timeout, a cancelled caller never keeps or loses a slot. Real event loops; the timeouts are
0 s (due at the loop's next turn), so nothing sleeps."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatepost.slots import Slots


async def _turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_free_slot_is_taken_at_once_and_a_busy_one_times_out() -> None:
    slots = Slots(1)
    assert slots.try_take() and slots.busy()
    assert not slots.try_take()
    with pytest.raises(TimeoutError):
        await slots.take(0)
    assert slots.waiting == 0  # a caller that timed out leaves the queue
    slots.release()
    await slots.take(0)  # free again: taken at once, no timer involved
    assert slots.busy()


async def test_a_released_slot_goes_to_the_first_caller_waiting() -> None:
    slots = Slots(1)
    assert slots.try_take()
    order: list[str] = []

    async def caller(name: str) -> None:
        await slots.take(60)
        order.append(name)

    tasks = [asyncio.create_task(caller(name)) for name in "abc"]
    await _turns()
    assert slots.waiting == 3
    slots.release()
    await _turns()
    assert order == ["a"] and not slots.try_take()  # handed over: a newcomer cannot overtake the queue
    slots.release()
    slots.release()
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "c"] and slots.busy()


async def test_a_caller_cancelled_while_waiting_leaves_the_queue() -> None:
    slots = Slots(1)
    assert slots.try_take()
    waiter = asyncio.create_task(slots.take(60))
    await _turns()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert slots.waiting == 0
    slots.release()
    assert slots.free == 1


async def test_a_slot_handed_to_a_caller_cancelled_in_the_same_turn_is_passed_on() -> None:
    slots = Slots(1)
    assert slots.try_take()
    first = asyncio.create_task(slots.take(60))
    second = asyncio.create_task(slots.take(60))
    await _turns()
    slots.release()  # handed to `first`...
    first.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await first
    await second  # the slot went on to the next caller
    assert slots.busy() and slots.waiting == 0
    slots.release()
    assert slots.free == 1


def test_releasing_more_than_was_taken_is_refused() -> None:
    slots = Slots(2)
    with pytest.raises(RuntimeError, match="more often than taken"):
        slots.release()
    with pytest.raises(ValueError):
        Slots(0)


# arrive: a new caller takes (or queues); finish k: the k-th holder releases; cancel k: the k-th waiter gives up
OPS = st.lists(st.one_of(st.just(("arrive", 0)), st.tuples(st.sampled_from(["finish", "cancel"]),
                                                           st.integers(0, 7))), max_size=40)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 4), ops=OPS)
def test_slots_are_never_lost_nor_doubled_and_waiters_are_served_in_order(size: int,
                                                                         ops: list[tuple[str, int]]) -> None:
    async def run() -> None:
        slots = Slots(size)
        holders: list[int] = []  # callers holding a slot, in the order they got it
        queued: list[tuple[int, asyncio.Task[None]]] = []
        served: list[int] = []  # callers that had to queue, in the order they got a slot
        arrivals = 0

        async def caller(number: int) -> None:
            await slots.take(3600)
            holders.append(number)
            served.append(number)

        for op, k in ops:
            if op == "arrive":
                arrivals += 1
                if slots.try_take():
                    holders.append(arrivals)
                else:
                    queued.append((arrivals, asyncio.create_task(caller(arrivals))))
            elif op == "finish" and holders:
                holders.pop(k % len(holders))
                slots.release()
            elif op == "cancel":
                live = [(n, t) for n, t in queued if not t.done()]
                if live:
                    live[k % len(live)][1].cancel()
            await _turns()
            waiting = [n for n, t in queued if not t.done()]
            assert len(holders) + slots.free == size  # every slot is held or free, never both, never lost
            assert not (slots.free and waiting)  # nobody waits while a slot is free
            assert slots.waiting == len(waiting)
        assert served == sorted(served)  # first come, first served
        for _, task in queued:
            task.cancel()
        await asyncio.gather(*(t for _, t in queued), return_exceptions=True)

    asyncio.run(run())
