"""The built-in user pools (`gatepost pools ...` and /admin/user-pools): create a declared pool's record,
client secrets and first signing key (new client secrets are in that answer only), rotate signing keys,
describe (never secrets), and one confidential client's secret on its own request (Cognito's
DescribeUserPoolClient answers it too). Pools are named by their name under user_pools: or their pool id."""

from __future__ import annotations

import time
from typing import Any

from gatepost.admin.operation import (
    ANY_OBJECT,
    STRING,
    TAGS,
    Operation,
    OperationError,
    Params,
    Scope,
    bad_request,
    conflict,
    items,
    not_found,
    view,
)
from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError
from gatepost.idp.keys import add_key, key_docs, prune_keys
from gatepost.idp.local import PoolLookupError, find_pool, local_core
from gatepost.idp.pool import Pool
from gatepost.idp.state import client_secrets


def pool_refusal(exc: Exception) -> OperationError:
    """A pool or user refusal: Cognito's exception name first, as `gatepost users` always printed it."""
    if isinstance(exc, IdpError):
        message = f"{exc.type}: {exc.message}"
        if exc.type.endswith("NotFoundException"):
            return not_found(message)
        return conflict(message) if exc.type.endswith("ExistsException") else bad_request(message)
    if isinstance(exc, PoolLookupError) and str(exc).startswith("no "):
        return not_found(str(exc))
    return bad_request(str(exc))


def with_pool(fn: Any) -> Any:
    """`fn(core, pool, params)` for the pool named by params["pool"] (None: the only one)."""
    def run(scope: Scope, p: Params) -> Any:
        try:
            core = local_core(scope.config, scope.catalog, scope.config_dir)
            return fn(core, find_pool(core, p.get("pool")), p)
        except (PoolLookupError, IdpError, ValueError) as exc:
            raise pool_refusal(exc) from None
    return run


def describe(core: IdpCore, pool: Pool) -> dict[str, Any]:
    now = time.time()
    keys = []
    for doc in key_docs(core.catalog, pool.pool_id):
        retired = doc.get("retired_at")
        keys.append({"kid": doc["kid"], "created_at": doc.get("created_at"), "current": retired is None,
                     "published_until": None if retired is None else retired + pool.max_token_seconds})
    return {"name": pool.name, "pool_id": pool.pool_id, "issuer": pool.issuer, "arn": pool.arn,
            "clients": {c.name: {"client_id": c.client_id, "confidential": c.confidential,
                                 "auth_flows": sorted(c.auth_flows), "oauth_flows": sorted(c.oauth_flows),
                                 "scopes": list(c.scopes), "user_scopes": list(c.user_scopes)}
                        for c in pool.clients.values()},
            "groups": {g.name: {"precedence": g.precedence, "role_arn": g.role_arn} for g in pool.groups.values()},
            "keys": [k for k in keys if k["published_until"] is None or k["published_until"] > now]}


@with_pool
def create(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    created = core.ensure()[pool.name]
    return {"pool": describe(core, pool), "client_secrets": dict(created)}


@with_pool
def rotate(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    core.ensure()
    now = time.time()
    doc = add_key(core.catalog, pool.pool_id, core.box, now, retire_others=True)
    gone = prune_keys(core.catalog, pool.pool_id, pool.max_token_seconds, now)
    return {"pool": pool.name, "pool_id": pool.pool_id, "kid": doc["kid"],
            "previous_published_seconds": pool.max_token_seconds, "removed": list(gone)}


@with_pool
def show(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    return describe(core, pool)


@with_pool
def client_secret(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    client = pool.find_client(p["client"])
    if client is None or not client.confidential:
        message = f"{p['client']!r} is not a confidential client of {pool.name}"
        raise not_found(message) if client is None else bad_request(message)
    core.ensure()
    secret = client_secrets(core.catalog, pool, core.box).get(client.client_id)
    if secret is None:
        raise bad_request("the secret cannot be read (wrong master key?)")
    return {"pool": pool.name, "client": client.name, "client_id": client.client_id, "client_secret": secret}


def list_pools(scope: Scope, p: Params) -> dict[str, Any]:
    core = local_core(scope.config, scope.catalog, scope.config_dir)
    return {"items": [describe(core, pool) for pool in core.pools.values()]}


POOL = view(["name", "pool_id", "issuer", "clients", "groups", "keys"], name=STRING, pool_id=STRING,
            issuer=STRING, arn=STRING, clients=ANY_OBJECT, groups=ANY_OBJECT,
            keys={"type": "array", "items": ANY_OBJECT})

OPERATIONS = [
    Operation("CreateUserPool", "POST", "/admin/user-pools/{pool}", "create a declared pool's record, client "
              "secrets and first signing key (new client secrets are in this answer only)", create,
              view(["pool", "client_secrets"], pool=POOL, client_secrets=TAGS), refusals=(400, 404)),
    Operation("RotateSigningKeys", "POST", "/admin/user-pools/{pool}/signing-keys", "sign new tokens with a new "
              "key; the old one stays published until the tokens it signed have expired", rotate,
              view(["pool", "kid"], pool=STRING, pool_id=STRING, kid=STRING, removed={"type": "array",
                                                                                    "items": STRING}),
              refusals=(400, 404)),
    Operation("ListUserPools", "GET", "/admin/user-pools", "every declared pool (never secrets)", list_pools,
              items(POOL), refusals=()),
    Operation("DescribeUserPool", "GET", "/admin/user-pools/{pool}", "a pool's id, issuer, clients, groups and "
              "keys (never secrets)", show, POOL, refusals=(404,)),
    Operation("DescribeUserPoolClient", "GET", "/admin/user-pools/{pool}/clients/{client}", "a confidential "
              "client's id and secret, asked for on their own (as Cognito's DescribeUserPoolClient answers them)",
              client_secret, view(["client_id", "client_secret"], pool=STRING, client=STRING, client_id=STRING,
                                  client_secret=STRING), refusals=(400, 404)),
]
