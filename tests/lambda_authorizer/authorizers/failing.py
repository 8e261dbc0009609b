"""Authorizers that fail in every way a function can: the token names the way."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

FOREVER = threading.Event()  # never set


class Fatal(BaseException):
    pass


def _recurse(n: int) -> int:
    return _recurse(n + 1) + 1


def _allow(event: dict[str, Any]) -> dict[str, Any]:
    return {"principalId": "ok", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    how = event["authorizationToken"]
    if how == "exit":
        raise SystemExit(1)
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "fatal":
        raise Fatal("not an Exception")
    if how == "recursion":
        _recurse(0)
    if how == "forever":
        FOREVER.wait()
    return _allow(event)


async def async_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    how = event["authorizationToken"]
    if how in {"exit", "interrupt", "fatal", "recursion", "forever"}:  # synchronously, inside the coroutine:
        return handler(event, context)  # forever blocks its thread, never the gateway's event loop
    if how == "await-forever":
        await asyncio.Event().wait()
    return _allow(event)
