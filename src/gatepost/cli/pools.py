"""`gatepost pools ...`: the built-in user pools declared under `user_pools:` (docs/user-pools.md).

A pool's record, client secrets and signing keys live in the gateway's catalog; `create` makes them
(the gateway also does on its first start) and shows new client secrets once. A running gateway sees
every change within a second. With `--admin URL`, each verb acts through a running gateway's admin API
(docs/operations.md); `client-secret` is its own action there (gatepost:DescribeUserPoolClient), so a
policy can allow `show` without it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gatepost.cli.admin_client import add_admin_args
from gatepost.cli.common import add_verb, verb_group
from gatepost.cli.invoke import fail, run

Sub = argparse._SubParsersAction


def add_parser(sub: Sub) -> None:
    verbs = verb_group(sub, "pools", "built-in user pools: create, rotate signing keys, show", __doc__)

    v = add_verb(verbs, "create", "create a declared pool's record, client secrets and first signing key "
                               "(new client secrets are shown once)", _create)
    v.add_argument("pool", help="the pool's name under user_pools: (or its pool id)")
    add_admin_args(v)

    v = add_verb(verbs, "rotate-keys", "sign new tokens with a new key; the old key stays published until the "
                                    "tokens it signed have expired", _rotate)
    v.add_argument("pool", help="the pool's name under user_pools: (or its pool id)")
    add_admin_args(v)

    v = add_verb(verbs, "show", "a pool's id, issuer, clients, groups and keys (never secrets)", _show)
    v.add_argument("pool", nargs="?", help="the pool (default: the only one)")
    v.add_argument("--json", action="store_true")
    add_admin_args(v)

    v = add_verb(verbs, "client-secret", "print a confidential client's secret (as DescribeUserPoolClient does)",
              _client_secret)
    v.add_argument("pool", help="the pool's name (or pool id)")
    v.add_argument("client", help="the client's name under clients: (or its client id)")
    add_admin_args(v)


PREFIX = "gatepost pools"


def _create(args: argparse.Namespace) -> int:
    def show(created: dict[str, Any]) -> None:
        info = created["pool"]
        print(f"pool {info['name']}: {info['pool_id']}\n  issuer: {info['issuer']}\n  keys: "
              f"{', '.join(k['kid'] for k in info['keys'])}")
        for name, client in info["clients"].items():
            kind = "confidential" if client["confidential"] else "public"
            print(f"  client {name}: {client['client_id']} ({kind})")
        for name, secret in created["client_secrets"].items():
            print(f"  client secret of {name} (shown once; `gatepost pools client-secret` prints it again): {secret}")

    return run(args, PREFIX, "CreateUserPool", {"pool": args.pool}, show)


def _rotate(args: argparse.Namespace) -> int:
    def show(done: dict[str, Any]) -> None:
        gone = done["removed"]
        print(f"pool {done['pool']}: new signing key {done['kid']}; the previous key stays in the JWKS for "
              f"{done['previous_published_seconds']} s" + (f"; removed expired keys {', '.join(gone)}" if gone else ""))

    return run(args, PREFIX, "RotateSigningKeys", {"pool": args.pool}, show)


def _show(args: argparse.Namespace) -> int:
    if args.pool is not None:
        return run(args, PREFIX, "DescribeUserPool", {"pool": args.pool}, lambda info: _print(args, info))

    def only(answer: dict[str, Any]) -> int:
        pools = answer["items"]
        if len(pools) != 1:
            declared = ", ".join(sorted(p["name"] for p in pools)) or "none"
            return fail(PREFIX, f"name a pool with --pool (declared: {declared})")
        _print(args, pools[0])
        return 0

    return run(args, PREFIX, "ListUserPools", {}, only)


def _print(args: argparse.Namespace, info: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(info, indent=2))
        return
    print(f"pool {info['name']}: {info['pool_id']}\n  issuer: {info['issuer']}\n  arn: {info['arn']}")
    for name, client in info["clients"].items():
        print(f"  client {name}: {client['client_id']} ({'confidential' if client['confidential'] else 'public'})"
              f" flows={','.join(client['auth_flows'] + client['oauth_flows'])}")
    for name, group in info["groups"].items():
        print(f"  group {name}: precedence={group['precedence']} role={group['role_arn']}")
    for key in info["keys"]:
        state = "current" if key["current"] else f"retired, published until {key['published_until']}"
        print(f"  key {key['kid']}: {state}")


def _client_secret(args: argparse.Namespace) -> int:
    return run(args, PREFIX, "DescribeUserPoolClient", {"pool": args.pool, "client": args.client},
               lambda answer: print(answer["client_secret"]))
