"""A handler module whose import fails (Lambda's init error): every call answers 502, the log has the traceback."""

from __future__ import annotations

from typing import Any

SETTINGS = {"db": "postgres://app@db/shop"}
raise RuntimeError("cannot reach the settings store during init")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # never reached
    return {"statusCode": 200, "body": "unreachable"}
