"""`gatepost iam ...`: IAM users, roles, access keys and temporary credentials in the gateway's catalog.

Secrets are shown once, when created; the catalog stores them encrypted with the master key
(GATEPOST_MASTER_KEY, or master.key created with mode 0600 beside the catalog). A running gateway sees
every change within a second. With `--admin URL` a verb acts through a running gateway's admin API
(docs/operations.md) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from gatepost.admin.operation import OperationError
from gatepost.cli.common import add_verb, verb_group
from gatepost.cli.invoke import add_target_args, call
from gatepost.iam.model import ACTIVE, INACTIVE

Sub = argparse._SubParsersAction


def _common(p: argparse.ArgumentParser, account: bool = True) -> None:
    add_target_args(p)
    if account:
        p.add_argument("--account", help="12-digit account id (default: the config's first API account_id)")


def _tags(values: list[str] | None) -> dict[str, str]:
    out = {}
    for item in values or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"--tag {item!r}: use KEY=VALUE")
        out[key] = value
    return out


def _verb(sub: Sub, name: str, help: str, func: Any, account: bool = True) -> argparse.ArgumentParser:
    p = add_verb(sub, name, help, func, config=False)
    _common(p, account)
    return p


def _credentials_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "env"], default="text",
                   help="text (default), json (AWS CLI credential shape) or env (export AWS_... lines)")


def add_parser(sub: Sub) -> None:
    verbs = verb_group(sub, "iam", "IAM users, roles, access keys, temporary credentials", __doc__)

    v = _verb(verbs, "create-user", "create an IAM user", _create_user)
    v.add_argument("name")
    v.add_argument("--path", default="/", help="IAM path, e.g. /ops/ (default /)")
    v.add_argument("--tag", action="append", metavar="KEY=VALUE", help="a principal tag (aws:PrincipalTag/KEY)")

    v = _verb(verbs, "create-role", "create an IAM role (callers get its temporary credentials with assume-role)",
              _create_role)
    v.add_argument("name")
    v.add_argument("--path", default="/")
    v.add_argument("--tag", action="append", metavar="KEY=VALUE")
    v.add_argument("--max-session-duration", type=int, default=3600, help="seconds, 900-43200 (default 3600)")
    v.add_argument("--trust-policy", metavar="FILE", help="who may assume the role (JSON), e.g. an identity pool "
                                                          "(docs/federation.md)")

    v = _verb(verbs, "set-trust-policy", "replace a role's trust policy (AssumeRolePolicyDocument) from a JSON file",
              _set_trust)
    v.add_argument("role")
    v.add_argument("--file", required=True, help="the trust policy document (JSON)")

    v = _verb(verbs, "attach-policy", "attach (or replace) a named inline policy from a JSON file", _attach)
    who = v.add_mutually_exclusive_group(required=True)
    who.add_argument("--user")
    who.add_argument("--role")
    v.add_argument("--policy-name", required=True)
    v.add_argument("--file", required=True, help="the IAM policy document (JSON)")

    v = _verb(verbs, "detach-policy", "remove a named inline policy", _detach)
    who = v.add_mutually_exclusive_group(required=True)
    who.add_argument("--user")
    who.add_argument("--role")
    v.add_argument("--policy-name", required=True)

    v = _verb(verbs, "create-access-key", "create an access key for a user; the secret is shown once", _create_key)
    v.add_argument("user")
    _credentials_format(v)

    v = _verb(verbs, "rotate-access-key", "create a new key for a user and disable (or delete) the old one(s)",
              _rotate)
    v.add_argument("user")
    v.add_argument("--old-key-id", help="rotate only this key (default: every key of the user)")
    v.add_argument("--delete-old", action="store_true", help="delete the old key(s) instead of disabling them")
    _credentials_format(v)

    for name, status in (("disable-access-key", INACTIVE), ("enable-access-key", ACTIVE)):
        v = _verb(verbs, name, f"mark an access key {status} (a running gateway follows within a second)",
                  _status, account=False)
        v.add_argument("access_key_id")
        v.set_defaults(status=status)

    v = _verb(verbs, "delete-access-key", "delete an access key (or temporary credentials)", _delete, account=False)
    v.add_argument("access_key_id")

    v = _verb(verbs, "assume-role", "issue temporary credentials for a role session (key, secret, session token)",
              _assume)
    v.add_argument("role")
    v.add_argument("--session-name", required=True)
    v.add_argument("--duration-seconds", type=int, default=3600)
    _credentials_format(v)

    v = _verb(verbs, "list", "list users, roles and access keys (never secrets)", _list, account=False)
    v.add_argument("what", nargs="?", choices=["users", "roles", "keys", "all"], default="all")
    v.add_argument("--json", action="store_true")


def _guard(fn: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args) or 0)
        except (OperationError, ValueError, OSError) as exc:
            print(f"gatepost iam {args.iam_verb}: {getattr(exc, 'message', exc)}", file=sys.stderr)
            return 1
    return run


def _account(args: argparse.Namespace) -> dict[str, Any]:
    return {"account": args.account} if getattr(args, "account", None) else {}


def _print_credentials(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(data, indent=2))
    elif fmt == "env":
        print(f"export AWS_ACCESS_KEY_ID={data['AccessKeyId']}")
        print(f"export AWS_SECRET_ACCESS_KEY={data['SecretAccessKey']}")
        if data.get("SessionToken"):
            print(f"export AWS_SESSION_TOKEN={data['SessionToken']}")
    else:
        for k, v in data.items():
            print(f"{k}: {v}")
        print("(the secret is shown once: store it now)", file=sys.stderr)


@_guard
def _create_user(args: argparse.Namespace) -> None:
    doc = call(args, "CreateUser", {"name": args.name, "path": args.path, "tags": _tags(args.tag), **_account(args)})
    print(f"created user {doc['arn']} ({doc['id']})")


@_guard
def _create_role(args: argparse.Namespace) -> None:
    trust = Path(args.trust_policy).read_text() if args.trust_policy else None
    doc = call(args, "CreateRole", {"name": args.name, "path": args.path, "tags": _tags(args.tag),
                                    "max_session_duration": args.max_session_duration, "trust_policy": trust,
                                    **_account(args)})
    print(f"created role {doc['arn']} ({doc['id']})")


@_guard
def _set_trust(args: argparse.Namespace) -> None:
    call(args, "UpdateAssumeRolePolicy", {"role": args.role, "document": Path(args.file).read_text(),
                                          **_account(args)})
    print(f"set the trust policy of role {args.role}")


@_guard
def _attach(args: argparse.Namespace) -> None:
    action, who, name = ("PutUserPolicy", "user", args.user) if args.user else ("PutRolePolicy", "role", args.role)
    call(args, action, {who: name, "policy": args.policy_name, "document": Path(args.file).read_text(),
                        **_account(args)})
    print(f"attached policy {args.policy_name} to {name}")


@_guard
def _detach(args: argparse.Namespace) -> None:
    action, who, name = ("DeleteUserPolicy", "user", args.user) if args.user else \
        ("DeleteRolePolicy", "role", args.role)
    call(args, action, {who: name, "policy": args.policy_name, **_account(args)})
    print(f"detached policy {args.policy_name} from {name}")


@_guard
def _create_key(args: argparse.Namespace) -> None:
    _print_credentials(call(args, "CreateAccessKey", {"user": args.user, **_account(args)}), args.format)


@_guard
def _rotate(args: argparse.Namespace) -> None:
    issued = call(args, "RotateAccessKey", {"user": args.user, "old_key_id": args.old_key_id,
                                            "delete_old": args.delete_old, **_account(args)})
    _print_credentials(issued, args.format)


@_guard
def _status(args: argparse.Namespace) -> None:
    call(args, "UpdateAccessKey", {"access_key_id": args.access_key_id, "status": args.status})
    print(f"{args.access_key_id}: {args.status}")


@_guard
def _delete(args: argparse.Namespace) -> None:
    call(args, "DeleteAccessKey", {"access_key_id": args.access_key_id})
    print(f"deleted {args.access_key_id}")


@_guard
def _assume(args: argparse.Namespace) -> None:
    issued = call(args, "AssumeRole", {"role": args.role, "session_name": args.session_name,
                                       "duration_seconds": args.duration_seconds, **_account(args)})
    _print_credentials(issued, args.format)


@_guard
def _list(args: argparse.Namespace) -> None:
    data: dict[str, list[dict[str, Any]]] = {}
    for what, action in (("users", "ListUsers"), ("roles", "ListRoles"), ("keys", "ListAccessKeys")):
        if args.what in (what, "all"):
            data[what] = call(args, action, {})["items"]
    if args.json:
        print(json.dumps(data, indent=2))
        return
    for u in data.get("users", []):
        print(f"user  {u['arn']}  id={u['id']}  policies={','.join(u['policies']) or '-'}")
    for r in data.get("roles", []):
        print(f"role  {r['arn']}  id={r['id']}  policies={','.join(r['policies']) or '-'}")
    for k in data.get("keys", []):
        expiry = f"  expires={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(k['expires_at']))}" \
            if k.get("expires_at") else ""
        print(f"key   {k['access_key_id']}  {k['status']}  {k['owner_type']}={k['owner']}{expiry}")
