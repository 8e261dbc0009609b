"""Handlers that test the runtime contract: the context object, environment variables, module state, and
every way a handler can fail (BaseException, endless recursion, blocking forever, dying)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any

STARTED = {"inits": 0}
STARTED["inits"] += 1  # module-level initialisation: once per worker process (once per import in threads)
FOREVER = threading.Event()  # never set: a handler waiting on it blocks for good


class Fatal(BaseException):
    """Not an Exception: escapes `except Exception` everywhere."""


def _query(event: dict[str, Any]) -> dict[str, str]:
    return event.get("queryStringParameters") or {}


def context(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
    first = ctx.get_remaining_time_in_millis()
    threading.Event().wait(0.05)
    second = ctx.get_remaining_time_in_millis()
    info = {name: getattr(ctx, name) for name in (
        "aws_request_id", "function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
        "log_group_name", "log_stream_name")}
    info.update(first=first, second=second, pid=os.getpid(), inits=STARTED["inits"],
                env={k: os.environ.get(k) for k in ("TABLE_NAME", "STAGE_NAME")})
    return {"statusCode": 200, "body": json.dumps(info)}


def _recurse(n: int) -> int:
    return _recurse(n + 1) + 1


def fail(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
    how = _query(event).get("how", "")
    if how == "exit":
        raise SystemExit(3)
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "fatal":
        raise Fatal("a BaseException subclass")
    if how == "recursion":
        _recurse(0)
    if how == "forever":
        FOREVER.wait()
    if how == "die":
        os._exit(7)
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "inits": STARTED["inits"]})}


async def async_fail(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
    how = _query(event).get("how", "")
    if how == "exit":
        raise SystemExit(3)
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "forever":
        await asyncio.Event().wait()
    loop = asyncio.get_running_loop()
    return {"statusCode": 200, "body": json.dumps({"loop": id(loop)})}
