"""A handler's outcome reaches the event loop with one wake-up, and its slot is freed exactly once: on a
value, on an exception, after the caller timed out (the late outcome dropped), and when the caller frees
it early itself. Real worker threads (lambda_instances.InstanceThreads); no clock is faked: the handlers
wait on events the test sets."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gatepost.lambda_instances import InstanceThreads, Job, loop_release, wait_job
from gatepost.slots import Slots


def _pool() -> InstanceThreads:
    return InstanceThreads("wait-job-test", 2)


async def test_value_and_slot() -> None:
    threads, slots = _pool(), Slots(1)
    try:
        loop = asyncio.get_running_loop()
        await slots.take(1.0)
        assert slots.busy()
        job = threads.submit(lambda _w: {"statusCode": 200})
        assert await wait_job(job, loop.time() + 30, loop_release(slots)) == {"statusCode": 200}
        assert not slots.busy()
    finally:
        threads.close()


async def test_exception_reaches_the_caller_and_frees_the_slot() -> None:
    threads, slots = _pool(), Slots(1)
    try:
        loop = asyncio.get_running_loop()
        await slots.take(1.0)

        def boom(_w: object) -> None:
            raise ValueError("handler failed")

        with pytest.raises(ValueError, match="handler failed"):
            await wait_job(threads.submit(boom), loop.time() + 30, loop_release(slots))
        assert not slots.busy()
    finally:
        threads.close()


def _ended(job: Job) -> asyncio.Future[None]:
    """Resolves on this loop when the job has ended (its worker calls back from its thread)."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[None] = loop.create_future()
    job.on_done(lambda _job: loop.call_soon_threadsafe(ended.set_result, None))
    return ended


@pytest.mark.parametrize("caller_frees_first", [False, True])
async def test_after_a_timeout_the_slot_is_freed_once(caller_frees_first: bool) -> None:
    """The handler runs on past the caller's timeout; its late end frees the slot, unless the caller already did
    (an abandoned worker): either way once, whatever else calls `release` again."""
    threads, slots = _pool(), Slots(2)
    gate = threading.Event()
    try:
        loop = asyncio.get_running_loop()
        await slots.take(1.0)
        release = loop_release(slots)
        job = threads.submit(lambda _w: gate.wait(30) and "late")
        with pytest.raises(TimeoutError):
            await wait_job(job, loop.time() + 0.05, release)
        assert slots.free == 1  # still held: the handler runs on
        if caller_frees_first:
            release()
            assert slots.free == 2
        gate.set()
        await _ended(job)
        for _ in range(200):  # the worker's end arrives on the loop
            if slots.free == 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        release()  # a second release changes nothing
        assert slots.free == 2  # never 3
    finally:
        gate.set()
        threads.close()
