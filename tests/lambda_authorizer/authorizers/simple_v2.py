"""An HTTP API payload 2.0 authorizer with simple responses, as AWS's docs show it."""

from __future__ import annotations

from typing import Any

EVENTS: list[dict[str, Any]] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    token = event["headers"].get("authorization")
    if token == "secretToken":
        return {"isAuthorized": True,
                "context": {"stringKey": "value", "numberKey": 1, "booleanKey": True,
                            "arrayKey": ["value1", "value2"], "mapKey": {"value1": "value2"}}}
    if token == "string-bool":
        return {"isAuthorized": "true"}
    return {"isAuthorized": False}
