"""Where a Lambda authorizer's code runs: a Python callable in this process, or an HTTP service.

- `function: "module:attr"`: the module is a file next to the config (`partners_auth.py`, or a package
  folder) or any importable module; loaded once at build. `handler(event, context)`; async handlers are
  awaited on the event loop, sync ones run in a bounded thread pool (`concurrency` threads). When every
  thread is busy, a call waits for a free one until its timeout; beyond `4 x concurrency` waiting calls it
  is refused at once. Either way saturation is logged and answered as an authorizer failure (500), never
  queued forever. The context object has AWS's fields (`aws_request_id`, `function_name`,
  `get_remaining_time_in_millis()`...).
- `url: http://...`: the gateway POSTs the event as JSON. 200 with a JSON body is the authorizer's
  output; 401 means `Unauthorized`; anything else (or no answer within the timeout) is an error.

Outcomes: the output (any JSON value, validated by lambda_response), `Unauthorized` (the function
failed with exactly that message, as AWS's "Unauthorized" convention), or `InvocationFailed` with a
stable reason. The function's own error text is never logged (it may hold a token) nor returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import inspect
import itertools
import logging
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from gatepost.authorizers.lambda_response import MalformedOutput
from gatepost.services import Services

log = logging.getLogger("gatepost.authorizers.lambda")

UNAUTHORIZED_MESSAGE = "Unauthorized"
_LOADS = itertools.count(1)


class Unauthorized(Exception):
    """The authorizer failed with exactly "Unauthorized": the client gets 401."""


class InvocationFailed(Exception):
    """The authorizer could not give an answer (error, timeout, saturation, unreachable)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LambdaContext:
    """The `context` argument, as AWS's Python runtime passes it."""

    __slots__ = ("_deadline", "aws_request_id", "client_context", "function_name", "function_version", "identity",
                 "invoked_function_arn", "log_group_name", "log_stream_name", "memory_limit_in_mb")

    def __init__(self, function_name: str, function_arn: str, timeout: float) -> None:
        self._deadline = time.monotonic() + timeout
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = "128"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "gatepost"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


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
    """A bounded thread pool for sync handlers: `size` threads, at most `4 x size` callers waiting."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"gatepost-lambda-{name}")
        self._free: asyncio.Semaphore | None = None
        self._waiting = 0
        self.saturated = 0  # calls refused or timed out waiting for a thread

    def _semaphore(self) -> asyncio.Semaphore:
        if self._free is None:
            self._free = asyncio.Semaphore(self.size)
        return self._free

    async def run(self, fn: Callable[[], Any], timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self._acquire(timeout)
        future = loop.run_in_executor(self._executor, fn)
        future.add_done_callback(lambda _: self._semaphore().release())  # a timed-out call keeps its thread
        try:
            return await asyncio.wait_for(asyncio.shield(future), max(0.0, deadline - loop.time()))
        except TimeoutError:
            future.add_done_callback(_consume)
            raise InvocationFailed("lambda.timeout") from None

    async def _acquire(self, timeout: float) -> None:
        free = self._semaphore()
        if free.locked() and self._waiting >= 4 * self.size:
            self._refuse("queue full")
        self._waiting += 1
        try:
            await asyncio.wait_for(free.acquire(), timeout)
        except TimeoutError:
            self._refuse("no thread freed within the timeout")
        finally:
            self._waiting -= 1

    def _refuse(self, why: str) -> None:
        self.saturated += 1
        log.warning("lambda.saturated authorizer=%s threads=%d waiting=%d why=%s", self.name, self.size,
                    self._waiting, why)
        raise InvocationFailed("lambda.saturated")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # a late failure of a timed-out call is not an unhandled error


class PythonTarget(Target):
    kind = "python"

    def __init__(self, handler: Callable[..., Any], spec: str, function_name: str, function_arn: str,
                 slots: ThreadSlots) -> None:
        self.handler = handler
        self.spec = spec
        self.function_name = function_name
        self.function_arn = function_arn
        self.slots = slots
        self.is_async = _is_async(handler)

    async def invoke(self, event: dict[str, Any], timeout: float) -> Any:
        context = LambdaContext(self.function_name, self.function_arn, timeout)
        try:
            if self.is_async:
                return await asyncio.wait_for(self.handler(event, context), timeout)
            return await self.slots.run(lambda: self.handler(event, context), timeout)
        except TimeoutError:
            raise InvocationFailed("lambda.timeout") from None
        except InvocationFailed:
            raise
        except Exception as exc:
            raise _failure(exc, self.function_name) from None

    async def close(self) -> None:
        self.slots.close()

    def describe(self) -> str:
        return f"python {self.spec}"


def _is_async(handler: Callable[..., Any]) -> bool:
    call = getattr(handler, "__call__", None)  # noqa: B004 - callable objects with an async __call__
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)


def _failure(exc: Exception, function_name: str) -> Exception:
    if str(exc) == UNAUTHORIZED_MESSAGE:
        return Unauthorized()
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    log.warning("lambda.function_error function=%s error_type=%s at=%s", function_name, type(exc).__name__, where)
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


def load_handler(spec: str, config_dir: Path) -> Callable[..., Any]:
    """`module:attr` (attr may be dotted), the module a file under `config_dir` or importable.

    `FOLDER/module:attr` loads `module` from FOLDER (relative to the config), which is its code root as
    Lambda's /var/task is: on sys.path while the module loads, so its sibling imports resolve there.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"function {spec!r}: write it as module:function, e.g. partners_auth:handler")
    folder, slash, module_name = module_name.rpartition("/")
    if slash and (not folder or not module_name):
        raise ValueError(f"function {spec!r}: write it as FOLDER/module:function, e.g. src/app:handler")
    module = _load_module(module_name, config_dir / folder if slash else config_dir, importable=not slash)
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ValueError(f"function {spec!r}: {module_name} has no attribute {attr!r}")
    if not callable(target):
        raise ValueError(f"function {spec!r}: {attr!r} is not callable")
    return target


def _load_module(module_name: str, config_dir: Path, importable: bool = True) -> Any:
    rel = Path(*module_name.split("."))
    for candidate in (config_dir / rel.with_suffix(".py"), config_dir / rel / "__init__.py"):
        if candidate.is_file():
            try:
                return _load_file(module_name, candidate, config_dir)
            except Exception as exc:
                raise ImportError(f"function module {candidate}: failed to load: {type(exc).__name__}: {exc}") \
                    from None
    if not importable:
        raise ImportError(f"function module {module_name!r}: no {rel.with_suffix('.py')} in {config_dir}")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(f"function module {module_name!r}: not found next to the config ({config_dir}) "
                          f"nor importable ({exc})") from None
    except Exception as exc:
        raise ImportError(f"function module {module_name!r}: failed to load: {type(exc).__name__}: {exc}") from None


def _load_file(module_name: str, path: Path, config_dir: Path) -> Any:
    """Load a file as a private module, fresh for every build (two configs may each have an `auth.py`)."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    unique = f"gatepost_user_{digest}_{next(_LOADS)}_{module_name.replace('.', '_')}"
    package = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(unique, path, submodule_search_locations=package)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    with _on_path(config_dir):  # its own sibling imports resolve next to it
        sys.modules[unique] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
    return module


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    entry = str(folder.resolve())
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            sys.path.remove(entry)
