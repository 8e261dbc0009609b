"""Functions behind the tracing tests' routes: a Lambda-proxy echo and a Lambda authorizer (simple responses)."""

from __future__ import annotations

import json
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"isAuthorized": event["headers"].get("authorization") == "Bearer let-me-in"}
