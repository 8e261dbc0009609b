"""A Lambda proxy handler for the claim-type property: renders the whole event (claims included) as JSON."""

from __future__ import annotations

import json
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
