"""A Lambda authorizer for the edge tests: allows the token `Bearer good` (TOKEN) or the ticket `good`
(REQUEST), and records every event it is invoked with."""

from __future__ import annotations

from typing import Any

EVENTS: list[dict[str, Any]] = []


def _credential(event: dict[str, Any]) -> str:
    if event["type"] == "TOKEN":
        return str(event["authorizationToken"])
    return str((event.get("queryStringParameters") or {}).get("ticket"))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    allowed = _credential(event) in ("Bearer good", "good")
    stage_arn = "/".join(event["methodArn"].split("/", 2)[:2])
    return {"principalId": "user-1", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny", "Resource": f"{stage_arn}/*"}]}}
