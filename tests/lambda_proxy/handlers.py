"""Lambda handlers the tests run behind the gateway (loaded from this folder by `module:function`)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
from typing import Any

GATE = threading.Event()  # blocks `held` until a test sets it
ENTERED = threading.Event()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"
LOADS = {"count": 0}
LOADS["count"] += 1  # how many times this module was imported (loaded once per integration)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    info = {"event": event, "context": {"aws_request_id": context.aws_request_id,
                                        "function_name": context.function_name,
                                        "remaining_ms": context.get_remaining_time_in_millis(),
                                        "arn": context.invoked_function_arn},
            "loads": LOADS["count"], "pid": os.getpid()}
    return {"statusCode": 200, "headers": {"content-type": "application/json", "x-handler": "echo"},
            "body": json.dumps(info)}


async def async_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"statusCode": 201, "body": json.dumps({"path": event.get("rawPath") or event.get("path"),
                                                    "async": True})}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("handler exploded while charging card 4111-XXXX")


def malformed(event: dict[str, Any], context: Any) -> Any:
    kind = (event.get("queryStringParameters") or {}).get("kind", "")
    return {
        "no_status": {"body": "hi"},
        "bad_status": {"statusCode": "abc"},
        "dict_body": {"statusCode": 200, "body": {"a": 1}},
        "extra_key": {"statusCode": 200, "body": "x", "cookies": ["a=b"]},
        "bad_b64": {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        "list": [1, 2, 3],
        "bad_header": {"statusCode": 200, "headers": {"x": {"nested": 1}}},
    }[kind]


def shapes(event: dict[str, Any], context: Any) -> Any:
    """HTTP API 2.0 returns: `?kind=` picks one."""
    kind = (event.get("queryStringParameters") or {}).get("kind", "")
    return {
        "dict": {"message": "hello", "n": 1},
        "string": "Hello from Lambda!",
        "list": [1, "two"],
        "full": {"statusCode": 202, "headers": {"x-one": "1", "x-num": 5},
                 "multiValueHeaders": {"x-many": ["a", "b"]}, "cookies": ["s=1; Path=/", "t=2"],
                 "body": "accepted"},
        "none": None,
    }[kind]


def multi(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"X-Single": "one", "X-Both": "from-headers", "x-twice": "same",
                                           "Content-Length": "999"},
            "multiValueHeaders": {"X-Both": ["m1", "m2"], "X-Twice": ["same", "other"], "Set-Cookie": ["a=1", "b=2"]},
            "body": "ok"}


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "image/png"},
            "body": base64.b64encode(PNG).decode(), "isBase64Encoded": True}


def held(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ENTERED.set()
    GATE.wait(10)
    return {"statusCode": 200, "body": "released"}


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if (event.get("queryStringParameters") or {}).get("die") == "1":
        os._exit(3)
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}


def pid(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "loads": LOADS["count"]})}


class Callable:
    async def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"statusCode": 200, "body": "callable object"}


callable_object = Callable()
