"""Lambda worker threads share one queue of calls: calls in flight together each get a worker of their own
(up to `size`), a worker done with a call takes the next one (no new thread for sequential calls), and a
call submitted while every worker is busy runs as soon as one is free. Real threads; handlers wait on
events and barriers the test sets, never on the clock."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gatepost.lambda_instances import InstanceThreads, Job


def result(job: Job, timeout: float = 30) -> Any:
    """The job's value (or what it raised), waiting for its worker: what the gateway's loop does with one
    wake-up (lambda_instances.wait_job), done here with an Event."""
    done = threading.Event()
    job.on_done(lambda _job: done.set())
    assert done.wait(timeout), "the job did not finish"
    assert job.outcome is not None
    ok, value = job.outcome
    if not ok:
        raise value
    return value


def test_calls_in_flight_together_each_get_a_worker() -> None:
    threads = InstanceThreads("together", 3)
    barrier = threading.Barrier(3, timeout=20)  # broken unless all three handlers run at the same time
    try:
        jobs = [threads.submit(lambda _w, n=n: (barrier.wait(), n)[1]) for n in range(3)]
        assert sorted(result(job) for job in jobs) == [0, 1, 2]
        assert len(threads.workers()) == 3
        assert len({job.worker for job in jobs}) == 3
    finally:
        threads.close()


def test_sequential_calls_reuse_one_worker() -> None:
    threads = InstanceThreads("sequential", 4)
    try:
        for n in range(10):
            assert result(threads.submit(lambda _w, n=n: n * 2)) == n * 2
        assert len(threads.workers()) == 1
    finally:
        threads.close()


def test_a_call_waits_for_a_busy_pool_then_runs() -> None:
    threads = InstanceThreads("busy", 1)
    gate = threading.Event()
    try:
        first = threads.submit(lambda _w: gate.wait(30) and "first")
        second = threads.submit(lambda _w: "second")  # the only worker is busy: queued, no second thread
        assert second.outcome is None and len(threads.workers()) == 1
        gate.set()
        assert result(first) == "first" and result(second) == "second"
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
        assert result(fresh) == "fresh"
        assert fresh.worker is not stuck.worker and threads.abandoned == 1
        gate.set()
        result(stuck)
        assert threads.abandoned == 0
    finally:
        gate.set()
        threads.close()


def test_a_job_calls_back_once_whether_it_was_done_before_or_after() -> None:
    early, late = Job(lambda _w: None), Job(lambda _w: None)
    seen: list[tuple[str, Any]] = []
    early.settle((True, 1))
    early.on_done(lambda job: seen.append(("early", job.outcome)))  # done already: called at once, here
    late.on_done(lambda job: seen.append(("late", job.outcome)))
    assert seen == [("early", (True, 1))]
    late.settle((False, ValueError("boom")))
    assert seen[1][0] == "late" and isinstance(seen[1][1][1], ValueError)


def test_a_failing_callback_is_logged_and_the_worker_serves_on(caplog: pytest.LogCaptureFixture) -> None:
    threads = InstanceThreads("callback", 1)
    try:
        gate = threading.Event()
        job = threads.submit(lambda _w: gate.wait(30) and "first")
        job.on_done(lambda _job: 1 / 0)  # raises in the worker's thread
        gate.set()
        assert result(threads.submit(lambda _w: "second")) == "second"  # the same worker, still serving
        assert len(threads.workers()) == 1
        assert "lambda.job_callback_failed" in caplog.text
    finally:
        threads.close()
