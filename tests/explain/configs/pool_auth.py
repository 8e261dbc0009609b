"""A Lambda TOKEN authorizer for the probe tests, as written in a hurry: it reads the built-in pool's access
tokens itself, checks the issuer and the token use, and trusts the rest (no signature, no `exp`)."""

from __future__ import annotations

import base64
import json
from typing import Any

ISSUER = "http://gatepost.test/_gatepost/idp/us-east-1_ProbePool2"


def decode_only(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = str(event.get("authorizationToken", "")).removeprefix("Bearer ")
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        raise Exception("Unauthorized") from None
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER or claims.get("token_use") != "access":
        raise Exception("Unauthorized")
    return {"principalId": str(claims.get("sub")), "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}
