"""`gatepost users ...`: users of the built-in user pools (docs/user-pools.md).

Passwords are read from standard input with `--password-stdin` (or given with `--password`, which
leaves them in your shell history and the process list); the catalog keeps only argon2id hashes. A
running gateway sees every change at once (users are read from the catalog at each sign-in). With
`--admin URL` a verb acts through a running gateway's admin API (docs/operations.md) instead; `token` is
AdminInitiateAuth there (gatepost:AdminInitiateAuth).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gatepost.cli.admin_client import add_admin_args
from gatepost.cli.common import add_verb, verb_group
from gatepost.cli.invoke import fail, run

Sub = argparse._SubParsersAction


def _verb(sub: Sub, name: str, help: str, func: Any, password: bool = False,
          admin: bool = True) -> argparse.ArgumentParser:
    p = add_verb(sub, name, help, _refusing(func))
    if admin:
        add_admin_args(p)
    p.add_argument("--pool", help="the pool's name under user_pools: or its id (default: the only pool)")
    if password:
        g = p.add_mutually_exclusive_group()
        g.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        g.add_argument("--password", help="the password (visible in shell history: prefer --password-stdin)")
    return p


def add_parser(sub: Sub) -> None:
    verbs = verb_group(sub, "users", "users of the built-in user pools", __doc__)

    v = _verb(verbs, "create", "create a user; without a password a temporary one is generated and shown once "
                               "(the user must change it at first sign-in)", _create, password=True)
    v.add_argument("username")
    v.add_argument("--temporary", action="store_true", help="the given password is temporary (FORCE_CHANGE_PASSWORD)")
    v.add_argument("--attribute", action="append", metavar="NAME=VALUE",
                   help="e.g. email=a@example.com, custom:tier=gold")
    v.add_argument("--group", action="append", metavar="GROUP", help="add the user to this declared group")

    v = _verb(verbs, "add-to-group", "add a user to a group declared under the pool's groups:", _add_to_group)
    v.add_argument("username")
    v.add_argument("group")

    v = _verb(verbs, "remove-from-group", "remove a user from a group (tokens already issued keep the group "
                                          "until they expire; new sign-ins do not get it)", _remove_from_group)
    v.add_argument("username")
    v.add_argument("group")

    v = _verb(verbs, "set-password", "set a user's password (permanent unless --temporary)", _set_password,
              password=True)
    v.add_argument("username")
    v.add_argument("--temporary", action="store_true", help="the user must change it at next sign-in")

    v = _verb(verbs, "token", "sign a user in with their password (USER_PASSWORD_AUTH) and print the tokens",
              _token, password=True)
    v.add_argument("username")
    v.add_argument("--client", help="app client name or id (default: the pool's first client)")
    v.add_argument("--print", dest="show", choices=["json", "access", "id", "refresh"], default="json",
                   help="json (default: Cognito's AuthenticationResult), or one token alone")

    v = _verb(verbs, "list", "list a pool's users (never passwords)", _list)
    v.add_argument("--json", action="store_true")


def _password(args: argparse.Namespace, required: bool) -> str | None:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    if getattr(args, "password", None):
        return str(args.password)
    if required:
        raise ValueError("give the password with --password-stdin (or --password)")
    return None


def _refusing(func: Any) -> Any:
    """A verb whose own input is wrong (no password, a malformed --attribute) raises ValueError: its message
    as `gatepost users: ...` and exit 1."""
    def verb(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except ValueError as exc:
            return fail(PREFIX, str(exc))
    return verb


def _attributes(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise ValueError(f"--attribute {item!r}: use NAME=VALUE")
        out[name] = value
    return out


PREFIX = "gatepost users"


def _call(args: argparse.Namespace, action: str, params: dict[str, Any], show: Any) -> int:
    return run(args, PREFIX, action, {"pool": args.pool, **params}, show)


def _create(args: argparse.Namespace) -> int:
    params = {"username": args.username, "password": _password(args, required=False),
              "temporary": args.temporary, "attributes": _attributes(args.attribute), "groups": args.group}

    def show(created: dict[str, Any]) -> None:
        user = created["user"]
        print(f"user {user['username']} in pool {created['pool']}: sub {user['sub']}, {user['status']}"
              + (f", groups {', '.join(args.group)}" if args.group else ""))
        if created["temporary_password"] is not None:
            print(f"  temporary password (shown once; the user sets a new one at first sign-in): "
                  f"{created['temporary_password']}")

    return _call(args, "AdminCreateUser", params, show)


def _groups(user: dict[str, Any]) -> None:
    print(f"user {user['username']}: groups {', '.join(user['groups']) or '-'}")


def _add_to_group(args: argparse.Namespace) -> int:
    return _call(args, "AdminAddUserToGroup", {"username": args.username, "group": args.group}, _groups)


def _remove_from_group(args: argparse.Namespace) -> int:
    return _call(args, "AdminRemoveUserFromGroup", {"username": args.username, "group": args.group}, _groups)


def _set_password(args: argparse.Namespace) -> int:
    password = _password(args, required=True)
    return _call(args, "AdminSetUserPassword", {"username": args.username, "password": password,
                                                "temporary": args.temporary},
                 lambda user: print(f"user {user['username']}: password set, {user['status']}"))


def _token(args: argparse.Namespace) -> int:
    password = _password(args, required=True)

    def show(answer: dict[str, Any]) -> int:
        result = answer.get("AuthenticationResult")
        if result is None:
            print(f"{PREFIX}: {answer.get('ChallengeName')}: the user must choose a new password first "
                  "(gatepost users set-password, or RespondToAuthChallenge)", file=sys.stderr)
            return 1
        key = {"access": "AccessToken", "id": "IdToken", "refresh": "RefreshToken"}.get(args.show)
        if key is not None and key not in result:
            print(f"{PREFIX}: the client issues no {args.show} token", file=sys.stderr)
            return 1
        print(result[key] if key else json.dumps(result, indent=2))
        return 0

    return _call(args, "AdminInitiateAuth", {"username": args.username, "password": password,
                                             "client": args.client}, show)


def _list(args: argparse.Namespace) -> int:
    def show(answer: dict[str, Any]) -> None:
        rows = answer["items"]
        if args.json:
            print(json.dumps(rows, indent=2))
            return
        for row in rows:
            print(f"{row['username']}\t{row['status']}\t{'enabled' if row['enabled'] else 'disabled'}\t"
                  f"{','.join(row['groups']) or '-'}\t{row['sub']}")

    return _call(args, "ListUserPoolUsers", {}, show)
