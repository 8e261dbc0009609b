"""Lambda TOKEN authorizers for the probe tests: a leaky one, a strict one and a broken one."""

from __future__ import annotations

from typing import Any

SECRET = "Bearer let-me-in"


def _allow(event: dict[str, Any]) -> dict[str, Any]:
    return {"principalId": "someone", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}


def permissive(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The leak: any token at all is allowed everywhere (a "temporary" shortcut that shipped)."""
    return _allow(event)


def strict(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("authorizationToken") != SECRET:
        raise Exception("Unauthorized")
    return _allow(event)


def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("cannot reach the tenant database")
