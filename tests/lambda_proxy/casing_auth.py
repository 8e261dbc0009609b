"""A REST REQUEST authorizer that keeps every event it receives (the header-casing tests read them) and
finds headers as a handler on AWS must: by name, case-insensitively."""

from __future__ import annotations

from typing import Any

EVENTS: list[dict[str, Any]] = []


def header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def rest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    if header(event, "authorization") != "Bearer mixed-case":
        raise Exception("Unauthorized")
    arn = event["methodArn"].split("/", 1)[0] + "/*"
    return {"principalId": "caller-1", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}]}}
