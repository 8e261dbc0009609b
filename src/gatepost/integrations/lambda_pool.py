"""Where Lambda-proxy handlers run: never on the gateway's event loop, always bounded.

- `threads` (default): sync handlers in a thread pool of `concurrency` threads; async handlers on one
  event loop of their own, in its own thread (loop-bound clients they keep in globals keep working).
- `processes`: a pool of `concurrency` spawned processes, each loading the handler once. For CPU-bound
  handlers, or ones that may crash the interpreter: a crashed pool is replaced, the request gets 502/500.

At most `concurrency` invocations run at once; a call waits for a slot until its own timeout, and
beyond `max_waiting` waiting calls (default `max(256, 16 x concurrency)`) it is refused at once
(Saturated). A timed-out invocation keeps its slot until the handler really returns (as on AWS, the
function runs on after the gateway gave up), so a stuck handler can never make the pool unbounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from gatepost.authorizers.lambda_targets import LambdaContext, load_handler

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
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0

    async def start(self) -> None:
        self._slots = asyncio.Semaphore(self.size)
        self.runner.start()

    async def close(self) -> None:
        self.runner.close()

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        slots = self._slots
        assert slots is not None, "integration not started"
        await self._acquire(slots, timeout)
        try:
            future = self.runner.submit(event, timeout)
        except BaseException:
            slots.release()
            raise
        future.add_done_callback(lambda _: _release(loop, slots))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                          max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise InvokeTimeout() from None
        except BrokenProcessPool:
            self.runner.recover()
            raise Crashed() from None

    async def _acquire(self, slots: asyncio.Semaphore, timeout: float) -> None:
        if slots.locked() and self._waiting >= self.max_waiting:
            raise Saturated()
        self._waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), timeout)
        except TimeoutError:
            raise InvokeTimeout() from None
        finally:
            self._waiting -= 1


def _release(loop: asyncio.AbstractEventLoop, slots: asyncio.Semaphore) -> None:
    """Called in the worker thread when the handler really returned (maybe long after a timeout)."""
    try:
        loop.call_soon_threadsafe(slots.release)
    except RuntimeError:  # the gateway's loop is closed: shutting down
        pass


class Runner:
    def __init__(self, spec: str, config_dir: Path, function_name: str, function_arn: str, size: int) -> None:
        self.spec = spec
        self.config_dir = config_dir
        self.function_name = function_name
        self.function_arn = function_arn
        self.size = size

    def start(self) -> None: ...

    def close(self) -> None: ...

    def recover(self) -> None: ...

    def submit(self, event: dict[str, Any], timeout: float) -> concurrent.futures.Future[Any]:
        raise NotImplementedError


class ThreadRunner(Runner):
    def __init__(self, handler: Callable[..., Any], is_async: bool, *args: Any) -> None:
        super().__init__(*args)
        self.handler = handler
        self.is_async = is_async
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None

    def start(self) -> None:
        if self.is_async:
            self._loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                                 name=f"gatepost-lambda-{self.function_name}")
            self._loop_thread.start()
        else:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                self.size, thread_name_prefix=f"gatepost-lambda-{self.function_name}")

    def submit(self, event: dict[str, Any], timeout: float) -> concurrent.futures.Future[Any]:
        context = LambdaContext(self.function_name, self.function_arn, timeout)
        if self._loop is not None:
            return asyncio.run_coroutine_threadsafe(self.handler(event, context), self._loop)
        assert self._executor is not None, "integration not started"
        return self._executor.submit(self.handler, event, context)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)


class ProcessRunner(Runner):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._executor = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            self.size, mp_context=multiprocessing.get_context("spawn"), initializer=_child_init,
            initargs=(self.spec, str(self.config_dir)))

    def submit(self, event: dict[str, Any], timeout: float) -> concurrent.futures.Future[Any]:
        assert self._executor is not None, "integration not started"
        return self._executor.submit(_child_invoke, event, self.function_name, self.function_arn, timeout)

    def recover(self) -> None:
        with self._lock:
            old = self._executor
            if old is not None and getattr(old, "_broken", False):
                log.error("lambda.worker_crashed function=%s: replacing the process pool", self.function_name)
                self._executor = self._new_pool()
                old.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


# -- in the worker process ----------------------------------------------------------------------------

_CHILD: dict[str, Any] = {}


def _child_init(spec: str, config_dir: str) -> None:
    handler = load_handler(spec, Path(config_dir))
    _CHILD["handler"] = handler
    _CHILD["loop"] = asyncio.new_event_loop()


def _child_invoke(event: dict[str, Any], function_name: str, function_arn: str, timeout: float) -> Any:
    context = LambdaContext(function_name, function_arn, timeout)
    result = _CHILD["handler"](event, context)
    if asyncio.iscoroutine(result):
        result = _CHILD["loop"].run_until_complete(result)
    return result
