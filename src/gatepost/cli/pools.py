"""`gatepost pools ...`: the built-in user pools declared under `user_pools:` (docs/user-pools.md).

A pool's record, client secrets and signing keys live in the gateway's catalog; `create` makes them
(the gateway also does on its first start) and shows new client secrets once. A running gateway sees
every change within a second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gatepost.cli.common import add_verb, open_from_args, verb_group
from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError
from gatepost.idp.keys import add_key, key_docs, prune_keys
from gatepost.idp.local import PoolLookupError, find_pool, local_core
from gatepost.idp.pool import Pool
from gatepost.idp.state import client_secrets

Sub = argparse._SubParsersAction


def add_parser(sub: Sub) -> None:
    verbs = verb_group(sub, "pools", "built-in user pools: create, rotate signing keys, show", __doc__)

    v = add_verb(verbs, "create", "create a declared pool's record, client secrets and first signing key "
                               "(new client secrets are shown once)", _create)
    v.add_argument("pool", help="the pool's name under user_pools: (or its pool id)")

    v = add_verb(verbs, "rotate-keys", "sign new tokens with a new key; the old key stays published until the "
                                    "tokens it signed have expired", _rotate)
    v.add_argument("pool", help="the pool's name under user_pools: (or its pool id)")

    v = add_verb(verbs, "show", "a pool's id, issuer, clients, groups and keys (never secrets)", _show)
    v.add_argument("pool", nargs="?", help="the pool (default: the only one)")
    v.add_argument("--json", action="store_true")

    v = add_verb(verbs, "client-secret", "print a confidential client's secret (as DescribeUserPoolClient does)",
              _client_secret)
    v.add_argument("pool", help="the pool's name (or pool id)")
    v.add_argument("client", help="the client's name under clients: (or its client id)")


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        ctx = open_from_args(args)
        try:
            core = local_core(ctx.config, ctx.catalog, ctx.config_dir)
            return int(fn(args, core, find_pool(core, args.pool)) or 0)
        except (PoolLookupError, IdpError, ValueError) as exc:
            print(f"gatepost pools: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
            return 1
        finally:
            ctx.catalog.close()
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


@_guard
def _create(args: argparse.Namespace, core: IdpCore, pool: Pool) -> int:
    created = core.ensure()[pool.name]
    info = describe(core, pool)
    print(f"pool {pool.name}: {pool.pool_id}\n  issuer: {pool.issuer}\n  keys: "
          f"{', '.join(k['kid'] for k in info['keys'])}")
    for name, client in info["clients"].items():
        kind = "confidential" if client["confidential"] else "public"
        print(f"  client {name}: {client['client_id']} ({kind})")
    for name, secret in created.items():
        print(f"  client secret of {name} (shown once; `gatepost pools client-secret` prints it again): {secret}")
    return 0


@_guard
def _rotate(args: argparse.Namespace, core: IdpCore, pool: Pool) -> int:
    core.ensure()
    now = time.time()
    doc = add_key(core.catalog, pool.pool_id, core.box, now, retire_others=True)
    gone = prune_keys(core.catalog, pool.pool_id, pool.max_token_seconds, now)
    print(f"pool {pool.name}: new signing key {doc['kid']}; the previous key stays in the JWKS for "
          f"{pool.max_token_seconds} s" + (f"; removed expired keys {', '.join(gone)}" if gone else ""))
    return 0


@_guard
def _show(args: argparse.Namespace, core: IdpCore, pool: Pool) -> int:
    info = describe(core, pool)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"pool {pool.name}: {pool.pool_id}\n  issuer: {pool.issuer}\n  arn: {pool.arn}")
    for name, client in info["clients"].items():
        print(f"  client {name}: {client['client_id']} ({'confidential' if client['confidential'] else 'public'})"
              f" flows={','.join(client['auth_flows'] + client['oauth_flows'])}")
    for name, group in info["groups"].items():
        print(f"  group {name}: precedence={group['precedence']} role={group['role_arn']}")
    for key in info["keys"]:
        state = "current" if key["current"] else f"retired, published until {key['published_until']}"
        print(f"  key {key['kid']}: {state}")
    return 0


@_guard
def _client_secret(args: argparse.Namespace, core: IdpCore, pool: Pool) -> int:
    client = pool.client_named(args.client) or pool.clients.get(args.client)
    if client is None or not client.confidential:
        print(f"gatepost pools: {args.client!r} is not a confidential client of {pool.name}", file=sys.stderr)
        return 1
    core.ensure()
    secret = client_secrets(core.catalog, pool, core.box).get(client.client_id)
    if secret is None:
        print("gatepost pools: the secret cannot be read (wrong master key?)", file=sys.stderr)
        return 1
    print(secret)
    return 0
