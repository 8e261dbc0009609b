"""Lambda authorizers named by rest.bindings.yaml (token and request), in AWS's blueprint shape."""

from __future__ import annotations

from typing import Any

ALLOWED = "Bearer allow-me"


def _policy(effect: str, event: dict[str, Any]) -> dict[str, Any]:
    arn = event["methodArn"].split("/", 2)
    return {"principalId": "golden-user",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{arn[0]}/{arn[1]}/*"}]},
            "context": {"tenant": "golden"}}


def token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("authorizationToken") != ALLOWED:
        raise Exception("Unauthorized")
    return _policy("Allow", event)


def request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if (event.get("headers") or {}).get("X-Tenant-Token") != "tenant-a":
        raise Exception("Unauthorized")
    return _policy("Allow", event)
