"""How a Python Lambda handler is called: the context object, the thread's event loop, nothing escaping.

Shared by Lambda authorizers (authorizers/lambda_targets.py) and the Lambda-proxy integration
(integrations/lambda_workers.py). It imports neither.

- `LambdaContext`: the `context` argument with the fields of AWS's Python runtime;
  `get_remaining_time_in_millis()` counts down from the invocation's timeout.
- `worker_loop()`: every thread (or process) that runs handlers has an event loop set as its current
  one, as the Lambda runtime's main thread has: adapters such as Mangum call `asyncio.get_event_loop()`
  and `run_until_complete` on it, and an async handler is run to completion on it.
- `call_handler()`: runs one invocation and turns *anything* the handler raises (`SystemExit`,
  `KeyboardInterrupt`, `RecursionError`, any `BaseException`) into `HandlerFailed`, an ordinary
  Exception that carries what the log needs (type, place, traceback text), so a handler can fail its
  request but never unwind the gateway's event loop or kill a worker.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatepost.uuid_text import new_uuid

DEFAULT_MEMORY_MB = 128  # AWS's default memory size


class HandlerFailed(Exception):
    """The handler (or its module's import) raised; the request fails, the worker goes on.

    `message` is the exception's own text: it may hold a secret, so callers decide whether it is logged.
    """

    def __init__(self, error_type: str, message: str, where: str, traceback_text: str, init: bool = False) -> None:
        super().__init__(error_type)
        self.error_type = error_type
        self.message = message
        self.where = where
        self.traceback_text = traceback_text
        self.init = init  # raised while importing the handler's module (Lambda's init error)

    @classmethod
    def from_exception(cls, exc: BaseException, init: bool = False) -> HandlerFailed:
        frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        text = "".join(traceback.format_exception(exc))
        return cls(type(exc).__name__, str(exc), where, text, init)

    def __reduce__(self) -> Any:  # crosses process boundaries intact
        return (HandlerFailed, (self.error_type, self.message, self.where, self.traceback_text, self.init))


class LambdaContext:
    """The `context` argument, as AWS's Python runtime passes it."""

    __slots__ = ("_deadline", "aws_request_id", "client_context", "function_name", "function_version", "identity",
                 "invoked_function_arn", "log_group_name", "log_stream_name", "memory_limit_in_mb")

    def __init__(self, function_name: str, function_arn: str, timeout: float, memory_mb: int = DEFAULT_MEMORY_MB,
                 log_stream_name: str | None = None) -> None:
        self._deadline = time.monotonic() + timeout
        self.aws_request_id = new_uuid()
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = str(memory_mb)  # a string, as AWS's runtime reads it from the environment
        self.log_group_name = f"/aws/lambda/{function_name}"
        # "": the caller sets the instance's own stream name before the handler runs (lambda_pool.ThreadRunner)
        self.log_stream_name = new_log_stream_name() if log_stream_name is None else log_stream_name
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def new_log_stream_name() -> str:
    """AWS's per-instance stream name: `2026/01/31/[$LATEST]` and 32 hex digits."""
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    return f"{day}/[$LATEST]{uuid.uuid4().hex}"


def worker_loop() -> asyncio.AbstractEventLoop:
    """The current thread's event loop, created and set on first use (Lambda's main thread has one)."""
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:  # a thread other than the main one: no loop until one is set
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop


def call_handler(handler: Callable[..., Any], event: Any, context: LambdaContext) -> Any:
    """One invocation on this thread; an async handler runs to completion on the thread's loop."""
    try:
        result = handler(event, context)
        if inspect.isawaitable(result):
            result = worker_loop().run_until_complete(_awaited(result))
        return result
    except HandlerFailed:
        raise
    except BaseException as exc:
        raise HandlerFailed.from_exception(exc) from None


async def _awaited(awaitable: Any) -> Any:
    """Catch BaseException inside the task: a Task re-raises SystemExit/KeyboardInterrupt out of the loop."""
    try:
        return await awaitable
    except BaseException as exc:
        raise HandlerFailed.from_exception(exc) from None


def apply_environment(environment: dict[str, str]) -> list[str]:
    """Set a function's environment variables in this process; returns the names whose value changed."""
    changed = [name for name, value in environment.items() if os.environ.get(name, value) != value]
    os.environ.update(environment)
    return changed
