"""Lambda instances: the workers that run Python Lambda handlers, one invocation at a time each.

A worker is what an instance (execution environment) is on AWS: it runs one invocation at a time,
has its own event loop (lambda_runtime.worker_loop), and is reused across invocations.

- `InstanceThreads`: daemon threads in the gateway process. A handler still running when its
  caller gave up (the timeout) cannot be stopped in a thread, so its worker is *abandoned*: the
  caller's slot is handed back at once, the thread ends when the handler finally returns, and a
  fresh worker takes new calls. At most `max_abandoned` (default `size`) such threads exist at once;
  beyond that a timed-out call keeps its slot until the handler returns (so stuck handlers cost
  bounded threads, never an unbounded pool). Daemon threads: a handler blocked forever never keeps
  the gateway from exiting.
- `InstanceProcesses`: each worker thread drives one spawned child process that imports the handler
  once (a cold start) and serves invocations over a pipe. A child past its timeout is killed and the
  next call on that worker starts a new one; a child that dies (os._exit, a segfault) fails only the
  call it was running and is replaced the same way.

Both answer through the call's `Job` (`Job.outcome`, then its `on_done` callbacks): the handler's value,
or `HandlerFailed` (it raised anything, or its module failed to import), or `WorkerDied`. A Job is a lock and
two fields, not a `concurrent.futures.Future` (a Condition, a callback list and a lock taken four times a call,
written in Python: ~5 us of each Lambda-proxy request).

Workers take calls from one shared queue: a worker that finishes a call takes the next one waiting without
going to sleep, so under load a thread that holds the GIL runs several calls in a row instead of each call
waking its own thread (each wake-up is a futex call, a context switch and a GIL hand-over: a per-worker
queue made the Lambda-proxy row ~30 % dearer than the thread pool it replaced).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gatepost.lambda_loader import init_handler
from gatepost.lambda_runtime import HandlerFailed, LambdaContext, apply_environment, call_handler, worker_loop
from gatepost.slots import Slots, expire

log = logging.getLogger("gatepost.lambda.instances")


class WorkerDied(Exception):
    """The worker process died while running the call (or was killed at the call's timeout)."""

    def __init__(self, killed: bool, exitcode: int | None) -> None:
        super().__init__("killed at the timeout" if killed else f"exit code {exitcode}")
        self.killed = killed
        self.exitcode = exitcode


class Job:
    """One call: run by a worker thread, which settles its outcome once; each `on_done` callback runs after
    that, in the worker's thread, or at once in the caller's when the outcome was already there."""

    __slots__ = ("_lock", "_on_done", "finished", "fn", "outcome", "worker")

    def __init__(self, fn: Callable[[Worker], Any]) -> None:
        self.fn = fn
        self.worker: Worker | None = None
        self.finished = False
        self.outcome: tuple[bool, Any] | None = None  # (True, value) or (False, the exception to raise)
        self._on_done: list[Callable[[Job], None]] = []
        self._lock = threading.Lock()

    def settle(self, outcome: tuple[bool, Any]) -> None:
        with self._lock:
            self.outcome = outcome
            callbacks = self._on_done
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # (as a Future's callbacks are) logged: it must not end the worker's thread
                log.exception("lambda.job_callback_failed")

    def on_done(self, callback: Callable[[Job], None]) -> None:
        with self._lock:
            if self.outcome is None:
                self._on_done.append(callback)
                return
        callback(self)


class Worker:
    """One daemon thread with its own event loop, taking one job at a time from its pool's queue."""

    def __init__(self, pool: InstanceThreads, number: int) -> None:
        self.pool = pool
        self.abandoned = False
        self.state: dict[str, Any] = {}  # per-worker resources (the child process)
        self.thread = threading.Thread(target=self._main, daemon=True, name=f"gatepost-lambda-{pool.name}-{number}")
        self.thread.start()

    def _main(self) -> None:
        worker_loop()
        jobs = self.pool.jobs
        while (job := jobs.get()) is not None:
            self.pool._started(self, job)
            try:
                outcome: tuple[bool, Any] = (True, job.fn(self))
            except BaseException as exc:
                outcome = (False, exc if isinstance(exc, Exception) else HandlerFailed.from_exception(exc))
            if not self.pool._finished(self, job):
                job.settle(outcome)
                break  # abandoned: this thread ends, a fresh worker serves new calls
            job.settle(outcome)
        self.pool._closed_worker(self)
        _close_loop()


def _close_loop() -> None:
    """The thread's event loop (a handler or adapter may have set its own) ends with the thread."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running() and not loop.is_closed():
        loop.close()


class InstanceThreads:
    """At most `size` busy workers (the caller bounds submissions), all taking jobs from one queue; a worker is
    started only when no waiting one is free for a new job."""

    def __init__(self, name: str, size: int, max_abandoned: int | None = None) -> None:
        self.name = name
        self.size = size
        self.max_abandoned = size if max_abandoned is None else max_abandoned
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting = 0  # workers done with a job and not yet counted for a new one
        self._all: set[Worker] = set()
        self._abandoned = 0
        self._numbers = 0
        self._closed = False

    @property
    def abandoned(self) -> int:
        return self._abandoned

    def submit(self, fn: Callable[[Worker], Any]) -> Job:
        """Run `fn(worker)` on a waiting worker (or a new one); `job.outcome` will hold its outcome."""
        job = Job(fn)
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._waiting:
                self._waiting -= 1
            elif len(self._all) - self._abandoned < self.size:
                self._numbers += 1
                self._all.add(Worker(self, self._numbers))
            # else every live worker is busy: the first one done takes it
        self.jobs.put(job)
        return job

    def give_up(self, job: Job) -> bool:
        """The caller stopped waiting for `job`: abandon its worker if the cap allows; True = slot is free now."""
        with self._lock:
            worker = job.worker
            if job.finished or worker is None or self._abandoned >= self.max_abandoned:
                return False
            worker.abandoned = True
            self._abandoned += 1
            abandoned = self._abandoned
        log.warning("lambda.worker_abandoned function=%s abandoned=%d max=%d: the handler runs on past its timeout",
                    self.name, abandoned, self.max_abandoned)
        return True

    def _started(self, worker: Worker, job: Job) -> None:
        with self._lock:
            job.worker = worker  # (give_up reads it: a job no worker has taken yet cannot be abandoned)

    def _finished(self, worker: Worker, job: Job) -> bool:
        """Called by the worker when its job is done; False when the worker must end (abandoned or closed)."""
        with self._lock:
            job.finished = True
            if worker.abandoned:
                self._abandoned -= 1
                self._all.discard(worker)
                return False
            if self._closed:
                return False
            self._waiting += 1  # before its outcome is settled: a caller freed by it finds this worker counted
            return True

    def _closed_worker(self, worker: Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        child = worker.state.pop("child", None)
        if child is not None:
            child.stop()

    def workers(self) -> list[Worker]:
        with self._lock:
            return list(self._all)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
        for worker in workers:
            self.jobs.put(None)  # one end for each worker (queued after any job still waiting)
            child = worker.state.get("child")
            if child is not None:
                child.kill()  # a stuck child never outlives the gateway


def loop_release(slots: Slots) -> Callable[[], None]:
    """A slot's release for the loop's own thread, any number of times: the slot is released once."""
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            slots.release()

    return release


async def wait_job(job: Job, deadline: float, release: Callable[[], None]) -> Any:
    """The job's value (or what it raised), awaited with one wake-up from its worker thread, which also calls
    `release` (from loop_release) on the loop's thread when the job ends, whoever still waits.

    TimeoutError at `deadline` (loop time): the job runs on and its end still calls `release` (a caller that
    frees the slot earlier, after `give_up`, calls `release` itself: once either way)."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Any] = loop.create_future()

    def settle(outcome: tuple[bool, Any]) -> None:  # on the loop's thread
        release()
        if waiter.done():
            return  # timed out or cancelled: the late outcome is dropped
        ok, value = outcome
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)

    def ended(finished: Job) -> None:  # on the worker's thread (or this one, when the job was done already)
        assert finished.outcome is not None
        try:
            loop.call_soon_threadsafe(settle, finished.outcome)
        except RuntimeError:  # the gateway's loop is closed: shutting down
            pass

    job.on_done(ended)
    timer = loop.call_at(deadline, expire, waiter)
    try:
        return await waiter
    finally:
        timer.cancel()


# -- processes ----------------------------------------------------------------------------------------

class Child:
    """One spawned process serving invocations of one handler over a pipe."""

    def __init__(self, spec: str, config_dir: Path, environment: dict[str, str]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child_conn = ctx.Pipe()
        self.process = ctx.Process(target=_child_main, args=(child_conn, spec, str(config_dir), environment),
                                   daemon=True, name="gatepost-lambda-child")
        self.process.start()
        child_conn.close()
        self.killed = False

    def call(self, message: tuple[Any, ...]) -> Any:
        try:
            self.conn.send(message)
            status, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            raise WorkerDied(self.killed, self.process.exitcode) from None
        if status == "ok":
            return value
        raise value

    def kill(self) -> None:
        self.killed = True
        if self.process.is_alive():
            self.process.kill()

    def stop(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class InstanceProcesses:
    """`size` workers, each driving one child process (spawned on first use, replaced when it dies)."""

    def __init__(self, name: str, size: int, spec: str, config_dir: Path, environment: dict[str, str],
                 memory_mb: int) -> None:
        self.name = name
        self.spec = spec
        self.config_dir = config_dir
        self.environment = environment
        self.memory_mb = memory_mb
        self.threads = InstanceThreads(name, size, max_abandoned=0)

    def submit(self, event: Any, function_arn: str, timeout: float) -> Job:
        message = (event, self.name, function_arn, timeout, self.memory_mb)
        return self.threads.submit(lambda worker: self._call(worker, message))

    def _call(self, worker: Worker, message: tuple[Any, ...]) -> Any:
        child: Child | None = worker.state.get("child")
        if child is None or not child.process.is_alive():
            if child is not None:
                child.stop()
            child = worker.state["child"] = Child(self.spec, self.config_dir, self.environment)
        try:
            return child.call(message)
        except WorkerDied as died:
            worker.state.pop("child", None)
            child.stop()
            if not died.killed:
                log.error("lambda.worker_crashed function=%s exitcode=%s: a new process takes the next call",
                          self.name, died.exitcode)
            raise

    def give_up(self, job: Job) -> bool:
        """Past its timeout: kill the job's child (AWS ends the instance); its worker starts a new one."""
        worker = job.worker
        child: Child | None = worker.state.get("child") if worker is not None else None
        if child is not None and not job.finished:
            log.warning("lambda.worker_killed function=%s pid=%s: the handler ran past its timeout",
                        self.name, child.process.pid)
            child.kill()
        return False  # the slot comes back when the worker has reaped the child

    def close(self) -> None:
        self.threads.close()


# -- in the child process -------------------------------------------------------------------------------

def _child_main(conn: Connection, spec: str, config_dir: str, environment: dict[str, str]) -> None:
    apply_environment(environment)
    worker_loop()
    handler: Callable[..., Any] | None = None
    stream = None
    while True:
        try:
            event, function_name, function_arn, timeout, memory_mb = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            if handler is None:  # the cold start; after a failed import, the next call tries again (AWS)
                handler = init_handler(spec, Path(config_dir))
            context = LambdaContext(function_name, function_arn, timeout, memory_mb, stream)
            stream = context.log_stream_name  # one stream per instance, as on AWS
            reply: tuple[str, Any] = ("ok", call_handler(handler, event, context))
        except BaseException as exc:
            failure = exc if isinstance(exc, HandlerFailed) else HandlerFailed.from_exception(exc)
            reply = ("error", failure)
        try:
            conn.send(reply)
        except Exception as exc:  # the value could not be pickled
            conn.send(("error", HandlerFailed.from_exception(exc)))


