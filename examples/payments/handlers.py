"""The payments example's API as Lambda-proxy handlers (REST payload 1.0), for gatepost.lambda.yaml.

The same routes the HTTP demo upstream serves, written the way a Lambda function on AWS is: each
handler reads the caller from `event["requestContext"]` (user pool claims, the partner authorizer's
principalId and context, the IAM identity, the bank's JWT claims) and answers a proxy response.
Run: gatepost serve examples/payments/gatepost.lambda.yaml
"""

from __future__ import annotations

import json
from typing import Any


def _answer(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(payload)}


def _caller(event: dict[str, Any]) -> dict[str, Any]:
    ctx = event["requestContext"]
    authorizer = ctx.get("authorizer") or {}
    identity = {k: v for k, v in ctx["identity"].items() if v is not None and k not in ("apiKey", "userAgent")}
    return {"authorizer": authorizer, "identity": identity}


def me(event: dict[str, Any], context: Any) -> dict[str, Any]:
    claims = (event["requestContext"].get("authorizer") or {}).get("claims") or {}
    return _answer(200, {"sub": claims.get("sub"), "username": claims.get("cognito:username") or claims.get("username"),
                         "email": claims.get("email")})


def partner_transaction(event: dict[str, Any], context: Any) -> dict[str, Any]:
    authorizer = event["requestContext"].get("authorizer") or {}
    try:
        body = json.loads(event["body"] or "{}")
    except json.JSONDecodeError:
        return _answer(400, {"message": "the body must be JSON"})
    return _answer(201, {"partner": event["pathParameters"]["id"], "tenantId": authorizer.get("tenantId"),
                         "principalId": authorizer.get("principalId"), "amount": body.get("amount"),
                         "transaction_id": context.aws_request_id})


def internal_refresh(event: dict[str, Any], context: Any) -> dict[str, Any]:
    identity = event["requestContext"]["identity"]
    return _answer(202, {"refreshed": True, "caller": identity.get("userArn")})


def settlement(event: dict[str, Any], context: Any) -> dict[str, Any]:
    claims = (event["requestContext"].get("authorizer") or {}).get("claims") or {}
    return _answer(202, {"settlement": "accepted", "bank": claims.get("sub")})


def health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _answer(200, {"status": "ok", "function": context.function_name})


ROUTES = {
    ("GET", "/me"): me,
    ("POST", "/partners/{id}/transactions"): partner_transaction,
    ("POST", "/internal/refresh"): internal_refresh,
    ("POST", "/b2b/settlements"): settlement,
    ("GET", "/health"): health,
}


def app(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One function for the whole API (as with a `{proxy+}` Lambda): dispatch on the route's resource."""
    handler = ROUTES.get((event["httpMethod"], event["resource"]))
    if handler is None:
        return _answer(404, {"message": "no handler for this route", "caller": _caller(event)})
    return handler(event, context)
