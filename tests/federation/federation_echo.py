"""A Lambda-proxy handler for the federation tests: answers with the event's requestContext.identity."""

from __future__ import annotations

import json
from typing import Any


def identity(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ctx = event.get("requestContext") or {}
    body = {"identity": ctx.get("identity"), "authorizer": ctx.get("authorizer")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
