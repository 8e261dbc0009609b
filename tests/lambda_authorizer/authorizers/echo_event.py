"""A Lambda-proxy handler that answers with what the event says about the authorizer."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
