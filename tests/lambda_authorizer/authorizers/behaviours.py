"""One handler per way an authorizer answers (or fails to). The token names the behaviour."""

from __future__ import annotations

import asyncio
import time
from typing import Any

EVENTS: list[dict[str, Any]] = []
SECRET_DETAIL = "db-password=hunter2-in-the-error"


def allow_all(event: dict[str, Any], principal: str = "user-7", **extra: Any) -> dict[str, Any]:
    arn = event.get("methodArn") or event.get("routeArn")
    stage_arn = "/".join(arn.split("/", 2)[:2])
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{stage_arn}/*"}]}, **extra}


def _token(event: dict[str, Any]) -> str:
    if event["type"] == "TOKEN":
        return str(event["authorizationToken"])
    if isinstance(event.get("identitySource"), list):
        return str(event["identitySource"][0])
    # REST's headers keep the client's casing (as on AWS): look the name up case-insensitively
    headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
    return str(event.get("authorizationToken") or headers.get("authorization"))


def handler(event: dict[str, Any], context: Any) -> Any:
    EVENTS.append(event)
    mode = _token(event)
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "crash":
        raise RuntimeError(SECRET_DETAIL)
    if mode == "unauthorized-lowercase":
        raise Exception("unauthorized")
    if mode == "none":
        return None
    if mode == "http-style":
        return {"statusCode": 401, "body": "nope"}
    if mode == "string":
        return "Allow"
    if mode == "no-principal":
        return {"policyDocument": allow_all(event)["policyDocument"]}
    if mode == "bad-policy":
        return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}}
    if mode == "array-context":
        return allow_all(event, context={"roles": ["a", "b"]})
    if mode == "map-context":
        return allow_all(event, context={"tenant": {"id": "t1"}})
    if mode == "null-context":
        return allow_all(event, context={"tenantId": None})
    if mode == "context":
        return allow_all(event, context={"tenantId": "t-42", "tier": 3, "ratio": 0.5, "beta": True})
    if mode == "usage-key":
        return allow_all(event, usageIdentifierKey="partner-key-value")
    if mode == "deny":
        result = allow_all(event)
        result["policyDocument"]["Statement"][0]["Effect"] = "Deny"
        return result
    if mode == "nothing-matches":
        return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:*:*:other/*"}]}}
    if mode == "slow":
        time.sleep(1.0)
        return allow_all(event)
    if mode == "context-object":
        return allow_all(event, context={
            "function_name": context.function_name, "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn})
    return allow_all(event)


async def async_handler(event: dict[str, Any], context: Any) -> Any:
    EVENTS.append(event)
    mode = _token(event)
    if mode == "slow":
        await asyncio.sleep(1.0)
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "crash":
        raise RuntimeError(SECRET_DETAIL)
    return allow_all(event, principal="async-user", context={"remaining": context.get_remaining_time_in_millis()})


async def single_flight(event: dict[str, Any], context: Any) -> Any:
    """Slow enough that concurrent requests for one identity overlap."""
    EVENTS.append(event)
    await asyncio.sleep(0.3)
    return allow_all(event, principal=_token(event))
