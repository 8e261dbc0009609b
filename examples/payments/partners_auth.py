"""The partner route's Lambda REQUEST authorizer (seeds/four-callers-four-authorisers.txt), in Python.

API Gateway (here: Gatepost) calls `handler(event, context)` with the REST REQUEST event; the cache key
is the `x-api-key` header (identity_sources in gatepost.yaml), so a hot key costs one call per TTL.

1. Revocation check: a revoked key gets an explicit Deny (cached like any result, as on AWS: flush
   with `gatepost cache flush payments prod` to make a revocation bite before the TTL ends).
2. Tenant lookup: the key's tenant and plan; an unknown key is `Unauthorized` (401, not cached).
3. Allow the tenant's own partner resource only, and stamp `tenantId` and `plan` into the context
   (`$context.authorizer.tenantId`; upstreams get `X-Gatepost-Context-Tenantid`).

The seed's JavaScript allows `event.methodArn`. That is the well-known cache trap: the cached policy
then names only the first request's ARN, and the same key calling another partner path within the TTL
gets 403. This version builds the resource from the tenant instead, so the cached policy is right for
every request that key can make.

Partners live in partners.json next to this file (override with PARTNERS_FILE), keyed by SHA-256 of the
key: the file never holds a key. It is re-read when it changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

PARTNERS_FILE = Path(os.environ.get("PARTNERS_FILE", Path(__file__).with_name("partners.json")))

_table: dict[str, Any] = {"mtime": None, "tenants": {}, "revoked": frozenset()}


def _partners() -> dict[str, Any]:
    mtime = PARTNERS_FILE.stat().st_mtime_ns
    if mtime != _table["mtime"]:
        doc = json.loads(PARTNERS_FILE.read_text())
        _table.update(mtime=mtime, tenants=doc.get("tenants", {}), revoked=frozenset(doc.get("revoked", [])))
    return _table


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def is_revoked(key_hash: str) -> bool:
    return key_hash in _partners()["revoked"]


def lookup_tenant(key_hash: str) -> dict[str, str] | None:
    tenant: dict[str, str] | None = _partners()["tenants"].get(key_hash)
    return tenant


def _stage_arn(method_arn: str) -> str:
    """arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path} -> ...:{api}/{stage}"""
    return "/".join(method_arn.split("/", 2)[:2])


def _policy(principal: str, effect: str, resource: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}],
        },
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    api_key = _header(event, "x-api-key")
    if not api_key:
        raise Exception("Unauthorized")
    key_hash = hashlib.sha256(api_key.encode()).hexdigest()
    stage_arn = _stage_arn(event["methodArn"])
    tenant = lookup_tenant(key_hash)
    if tenant is None:
        raise Exception("Unauthorized")
    if is_revoked(key_hash):
        return _policy(tenant["tenantId"], "Deny", f"{stage_arn}/*")
    response = _policy(tenant["tenantId"], "Allow", f"{stage_arn}/POST/partners/{tenant['tenantId']}/transactions")
    response["context"] = {"tenantId": tenant["tenantId"], "plan": tenant["plan"]}
    return response
