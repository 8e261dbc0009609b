"""The authorizer everyone writes first: allow exactly `event["methodArn"]`. With caching on, the cached
policy then denies the same token on every other method ARN until the TTL ends (the AWS trap)."""

from __future__ import annotations

from typing import Any

EVENTS: list[dict[str, Any]] = []


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    if event["authorizationToken"] != "let-me-in":
        raise Exception("Unauthorized")
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
    }
