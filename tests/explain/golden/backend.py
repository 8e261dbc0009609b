"""The Lambda-proxy backend named by the golden bindings: echoes what it was called with."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"path": event.get("path") or event.get("rawPath")})}
