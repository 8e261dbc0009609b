"""Lambda worker threads share one queue of calls: calls in flight together each get a worker of their own
(up to `size`), a worker done with a call takes the next one (no new thread for sequential calls), and a
call submitted while every worker is busy runs as soon as one is free. Real threads; handlers wait on
events and barriers the test sets, never on the clock."""

from __future__ import annotations

import threading

from gatepost.lambda_instances import InstanceThreads


def test_calls_in_flight_together_each_get_a_worker() -> None:
    threads = InstanceThreads("together", 3)
    barrier = threading.Barrier(3, timeout=20)  # broken unless all three handlers run at the same time
    try:
        jobs = [threads.submit(lambda _w, n=n: (barrier.wait(), n)[1]) for n in range(3)]
        assert sorted(job.future.result(timeout=30) for job in jobs) == [0, 1, 2]
        assert len(threads.workers()) == 3
        assert len({job.worker for job in jobs}) == 3
    finally:
        threads.close()


def test_sequential_calls_reuse_one_worker() -> None:
    threads = InstanceThreads("sequential", 4)
    try:
        for n in range(10):
            assert threads.submit(lambda _w, n=n: n * 2).future.result(timeout=30) == n * 2
        assert len(threads.workers()) == 1
    finally:
        threads.close()


def test_a_call_waits_for_a_busy_pool_then_runs() -> None:
    threads = InstanceThreads("busy", 1)
    gate = threading.Event()
    try:
        first = threads.submit(lambda _w: gate.wait(30) and "first")
        second = threads.submit(lambda _w: "second")  # the only worker is busy: queued, no second thread
        assert not second.future.done() and len(threads.workers()) == 1
        gate.set()
        assert first.future.result(timeout=30) == "first" and second.future.result(timeout=30) == "second"
        assert first.worker is second.worker
    finally:
        gate.set()
        threads.close()


def test_an_abandoned_worker_is_replaced() -> None:
    threads = InstanceThreads("abandon", 1)
    gate = threading.Event()
    started = threading.Event()
    try:
        stuck = threads.submit(lambda _w: (started.set(), gate.wait(30))[1])
        assert started.wait(30)
        assert threads.give_up(stuck)  # the caller's slot is free at once; the thread runs on
        fresh = threads.submit(lambda _w: "fresh")
        assert fresh.future.result(timeout=30) == "fresh"
        assert fresh.worker is not stuck.worker and threads.abandoned == 1
        gate.set()
        stuck.future.result(timeout=30)
        assert threads.abandoned == 0
    finally:
        gate.set()
        threads.close()
