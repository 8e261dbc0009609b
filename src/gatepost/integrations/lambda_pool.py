"""Where Lambda-proxy handlers run: never on the gateway's event loop, always bounded.

Workers are Lambda instances (gatepost.lambda_instances): one invocation at a time each, each with
its own event loop (as the Lambda runtime's main thread has), reused across invocations.

- `threads` (default): `concurrency` worker threads in the gateway process; the module is imported
  once, when the config is compiled. A handler past its timeout cannot be stopped in a thread: its
  worker is abandoned (the slot is free at once, the thread ends when the handler returns; at most
  `concurrency` abandoned at once, beyond that a timed-out call keeps its slot).
- `processes`: `concurrency` workers, each a spawned process that imports the handler once (its cold
  start). A process past its timeout is killed, one that dies fails only its call; either way the
  next call on that worker starts a new process.

At most `concurrency` invocations run at once; a call waits for a slot until its own timeout, and
beyond `max_waiting` waiting calls (default `max(256, 16 x concurrency)`) it is refused at once
(Saturated). Whatever a handler raises (SystemExit and any BaseException included) arrives as
`HandlerFailed`: it fails its request, never the gateway nor the worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gatepost.lambda_instances import (
    InstanceProcesses,
    InstanceThreads,
    Job,
    Worker,
    WorkerDied,
    loop_release,
    wait_job,
)
from gatepost.lambda_loader import init_handler
from gatepost.lambda_runtime import LambdaContext, call_handler, new_log_stream_name
from gatepost.slots import Slots

log = logging.getLogger("gatepost.integrations.lambda")


class Saturated(Exception):
    """Every slot is busy and too many calls are already waiting."""


class Crashed(Exception):
    """The worker process died while running the handler."""


class InvokeTimeout(Exception):
    """The handler did not answer within the integration timeout."""


class HandlerPool:
    """Bounded admission in front of a runner; `invoke(event, timeout)` returns the handler's value."""

    def __init__(self, runner: Runner, size: int, max_waiting: int | None = None) -> None:
        self.runner = runner
        self.size = size
        self.max_waiting = max_waiting if max_waiting is not None else max(256, 16 * size)
        self._slots = Slots(size)

    async def close(self) -> None:
        self.runner.close()

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        slots = self._slots
        if not slots.try_take():
            await self._wait_for_slot(slots, timeout)
        release = loop_release(slots)
        try:
            job = self.runner.submit(event, timeout)
        except BaseException:
            release()
            raise
        try:
            return await wait_job(job, deadline, release)
        except TimeoutError:
            if self.runner.give_up(job):
                release()
            raise InvokeTimeout() from None
        except WorkerDied as died:
            if died.killed:  # killed at the timeout by a caller that gave up (a race with this one)
                raise InvokeTimeout() from None
            raise Crashed() from None

    async def _wait_for_slot(self, slots: Slots, timeout: float) -> None:
        if slots.waiting >= self.max_waiting:
            raise Saturated()
        try:
            await slots.take(timeout)
        except TimeoutError:
            raise InvokeTimeout() from None


class Runner:
    def submit(self, event: dict[str, Any], timeout: float) -> Job:
        raise NotImplementedError

    def give_up(self, job: Job) -> bool:
        """The call timed out; True when its slot is free at once."""
        return False

    def close(self) -> None: ...


class ThreadRunner(Runner):
    """Handlers in worker threads of the gateway process; the module was imported at compile time."""

    def __init__(self, handler: Callable[..., Any] | None, spec: str, config_dir: Path, function_name: str,
                 function_arn: str, size: int, memory_mb: int) -> None:
        self.handler = handler  # None: importing the module failed; each call tries again (AWS re-runs init)
        self.spec = spec
        self.config_dir = config_dir
        self.function_name = function_name
        self.function_arn = function_arn
        self.memory_mb = memory_mb
        self.threads = InstanceThreads(function_name, size)
        self._init_lock = threading.Lock()

    def submit(self, event: dict[str, Any], timeout: float) -> Job:
        context = LambdaContext(self.function_name, self.function_arn, timeout, self.memory_mb, "")
        return self.threads.submit(lambda worker: self._run(worker, event, context))

    def _run(self, worker: Worker, event: dict[str, Any], context: LambdaContext) -> Any:
        stream = worker.state.get("log_stream")
        if stream is None:  # the instance's first call names its stream (not each call: a date and a uuid4)
            stream = worker.state["log_stream"] = new_log_stream_name()
        context.log_stream_name = stream
        return call_handler(self._handler(), event, context)

    def _handler(self) -> Callable[..., Any]:
        if self.handler is not None:
            return self.handler
        with self._init_lock:
            if self.handler is None:
                self.handler = init_handler(self.spec, self.config_dir)
            return self.handler

    def give_up(self, job: Job) -> bool:
        return self.threads.give_up(job)

    def close(self) -> None:
        self.threads.close()


class ProcessRunner(Runner):
    def __init__(self, spec: str, config_dir: Path, function_name: str, function_arn: str, size: int,
                 memory_mb: int, environment: dict[str, str]) -> None:
        self.function_arn = function_arn
        self.processes = InstanceProcesses(function_name, size, spec, config_dir, environment, memory_mb)

    def submit(self, event: dict[str, Any], timeout: float) -> Job:
        return self.processes.submit(event, self.function_arn, timeout)

    def give_up(self, job: Job) -> bool:
        return self.processes.give_up(job)

    def close(self) -> None:
        self.processes.close()
