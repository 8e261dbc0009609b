"""A Lambda REQUEST authorizer as people write them: REST answers an IAM policy + context,
HTTP API 2.0 answers a simple response. Used with the Powertools app."""

from __future__ import annotations

from typing import Any

PARTNERS = {"p-key-1": ("partner-7", "t-42")}


def rest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    partner = PARTNERS.get((event.get("headers") or {}).get("x-partner", ""))
    if partner is None:
        raise Exception("Unauthorized")
    arn = event["methodArn"].split("/", 1)[0] + "/*"
    return {"principalId": partner[0],
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}]},
            "context": {"tenantId": partner[1], "tier": 3}}


def http_simple(event: dict[str, Any], context: Any) -> dict[str, Any]:
    partner = PARTNERS.get((event.get("headers") or {}).get("x-partner", ""))
    return {"isAuthorized": partner is not None,
            "context": {"tenantId": partner[1] if partner else None, "tier": 3, "tags": ["a", "b"]}}
