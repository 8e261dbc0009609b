"""Where a Lambda authorizer's code runs: a Python callable in this process, or an HTTP service.

- `function: "module:attr"`: the module is a file next to the config (`partners_auth.py`, or a package
  folder) or any importable module; loaded once at build. `handler(event, context)` runs in a bounded
  thread pool (`concurrency` threads), never on the gateway's event loop: each thread has its own event
  loop, on which an async handler runs to completion (lambda_runtime.py). When every thread is busy, a
  call waits for a free one until its timeout; beyond `4 x concurrency` waiting calls it is refused at
  once. Either way saturation is logged and answered as an authorizer failure (500), never queued
  forever. Whatever the handler raises (`SystemExit` and any `BaseException` included) fails that
  request only. The context object has AWS's fields (`aws_request_id`, `function_name`,
  `get_remaining_time_in_millis()`...).
- `url: http://...`: the gateway POSTs the event as JSON. 200 with a JSON body is the authorizer's
  output; 401 means `Unauthorized`; anything else (or no answer within the timeout) is an error.

Outcomes: the output (any JSON value, validated by lambda_response), `Unauthorized` (the function
failed with exactly that message, as AWS's "Unauthorized" convention), or `InvocationFailed` with a
stable reason. The function's own error text is never logged (it may hold a token) nor returned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from gatepost.authorizers.lambda_response import MalformedOutput
from gatepost.lambda_instances import InstanceThreads, loop_release, wait_job
from gatepost.lambda_loader import ModuleInitError, load_handler, locate_module
from gatepost.lambda_runtime import HandlerFailed, LambdaContext, call_handler
from gatepost.services import Services
from gatepost.slots import Slots

__all__ = ["HttpTarget", "InvocationFailed", "LambdaContext", "ModuleInitError", "PythonTarget", "Target",
           "ThreadSlots", "Unauthorized", "load_handler", "locate_module"]

log = logging.getLogger("gatepost.authorizers.lambda")

UNAUTHORIZED_MESSAGE = "Unauthorized"


class Unauthorized(Exception):
    """The authorizer failed with exactly "Unauthorized": the client gets 401."""


class InvocationFailed(Exception):
    """The authorizer could not give an answer (error, timeout, saturation, unreachable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Target:
    """Base: `invoke(event, timeout)` returns the output or raises Unauthorized / InvocationFailed."""

    kind = "?"

    async def start(self, services: Services) -> None:
        pass

    async def close(self) -> None:
        pass

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        return self.kind


class ThreadSlots:
    """A bounded pool of handler threads: `size` threads, at most `4 x size` callers waiting.

    A timed-out call keeps its thread until the handler returns (never an unbounded pool).
    """

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._threads = InstanceThreads(name, size, max_abandoned=0)
        self._free = Slots(size)
        self.saturated = 0  # calls refused or timed out waiting for a thread

    async def run(self, fn: Callable[[], Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not self._free.try_take():
            await self._wait_for_thread(timeout)
        release = loop_release(self._free)
        try:
            job = self._threads.submit(lambda _worker: fn())
        except BaseException:
            release()
            raise
        try:
            return await wait_job(job, deadline, release)  # a timed-out call keeps its thread (and slot)
        except TimeoutError:
            raise InvocationFailed("lambda.timeout") from None

    async def _wait_for_thread(self, timeout: float) -> None:
        if self._free.waiting >= 4 * self.size:
            self._refuse("queue full")
        try:
            await self._free.take(timeout)
        except TimeoutError:
            self._refuse("no thread freed within the timeout")

    def _refuse(self, why: str) -> None:
        self.saturated += 1
        log.warning("lambda.saturated authorizer=%s threads=%d waiting=%d why=%s", self.name, self.size,
                    self._free.waiting, why)
        raise InvocationFailed("lambda.saturated")

    def close(self) -> None:
        self._threads.close()


class PythonTarget(Target):
    kind = "python"

    def __init__(self, handler: Callable[..., Any], spec: str, function_name: str, function_arn: str,
                 slots: ThreadSlots) -> None:
        self.handler = handler
        self.spec = spec
        self.function_name = function_name
        self.function_arn = function_arn
        self.slots = slots

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        context = LambdaContext(self.function_name, self.function_arn, timeout)
        try:
            return await self.slots.run(lambda: call_handler(self.handler, event, context), timeout)
        except HandlerFailed as exc:
            raise _failure(exc, self.function_name) from None

    async def close(self) -> None:
        self.slots.close()

    def describe(self) -> str:
        return f"python {self.spec}"


def _failure(exc: HandlerFailed, function_name: str) -> Exception:
    if exc.message == UNAUTHORIZED_MESSAGE:
        return Unauthorized()
    log.warning("lambda.function_error function=%s error_type=%s at=%s", function_name, exc.error_type, exc.where)
    return InvocationFailed("lambda.function_error")


class HttpTarget(Target):
    kind = "http"

    def __init__(self, url: str, function_name: str) -> None:
        self.url = url
        self.function_name = function_name
        self._session: aiohttp.ClientSession | None = None

    async def start(self, services: Services) -> None:
        self._session = services.http_client()

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        assert self._session is not None, "authorizer not started"
        try:
            async with asyncio.timeout(timeout):
                async with self._session.post(self.url, data=orjson.dumps(event),
                                              headers={"content-type": "application/json"}) as resp:
                    body = await resp.read()
                    status = resp.status
        except TimeoutError:
            raise InvocationFailed("lambda.timeout") from None
        except (aiohttp.ClientError, OSError) as exc:
            log.warning("lambda.unreachable function=%s error_type=%s", self.function_name, type(exc).__name__)
            raise InvocationFailed("lambda.unreachable") from None
        return _http_output(status, body, self.function_name)

    def describe(self) -> str:
        return f"http {self.url}"


def _http_output(status: int, body: bytes, function_name: str) -> Any:
    if status == 401:
        raise Unauthorized()
    if status != 200:
        log.warning("lambda.function_error function=%s http_status=%d", function_name, status)
        raise InvocationFailed("lambda.function_error")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedOutput("lambda.not_json", "the authorizer service answered 200 without JSON") from None
