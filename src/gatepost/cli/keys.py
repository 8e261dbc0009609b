"""`gatepost keys create|import|list|disable|enable|rotate`: API keys in the gateway's catalog.

Values are shown once, when created or rotated, and stored only as a SHA-256 hash. A running gateway of
the same config sees every change within a second. Keys are found by id or name (names are unique).
Pass an imported value on stdin (`--value -`) to keep it out of the shell history.
With `--admin URL` a verb acts through a running gateway's admin API (docs/operations.md) instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gatepost.cli.common import help_and_fail
from gatepost.cli.invoke import add_target_args, fail, run

_RAW = argparse.RawDescriptionHelpFormatter


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keys", help="manage API keys", description=__doc__, formatter_class=_RAW)
    actions = p.add_subparsers(dest="keys_action", metavar="ACTION")

    create = actions.add_parser("create", help="create a key with a generated value (shown once)")
    _key_fields(create)
    create.set_defaults(func=run_create)

    imp = actions.add_parser("import", help="create a key with a given value (20-128 letters and digits)")
    _key_fields(imp)
    imp.add_argument("--value", required=True, help="the key's value; '-' reads it from stdin")
    imp.set_defaults(func=run_create)

    lst = actions.add_parser("list", help="list keys (never their values)")
    lst.add_argument("--json", action="store_true", help="one JSON document per line")
    add_target_args(lst)
    lst.set_defaults(func=run_list)

    for name, enabled in (("disable", False), ("enable", True)):
        a = actions.add_parser(name, help=f"{name} a key (takes effect within a second)")
        a.add_argument("key", help="key id or name")
        add_target_args(a)
        a.set_defaults(func=run_enable, enabled=enabled)

    rot = actions.add_parser("rotate", help="give a key a new value; the old one works for a grace period")
    rot.add_argument("key", help="key id or name")
    rot.add_argument("--grace", default="0", help="how long the old value keeps working: 0 (default), 90s, "
                                                  "15m, 24h, 7d")
    rot.add_argument("--value", help="import the new value instead of generating one; '-' reads stdin")
    add_target_args(rot)
    rot.set_defaults(func=run_rotate)
    p.set_defaults(func=lambda args: help_and_fail(p))


def _key_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="a unique name, e.g. partner-acme")
    p.add_argument("--description", default="")
    p.add_argument("--tag", action="append", default=[], metavar="K=V", help="a tag (repeatable)")
    p.add_argument("--disabled", action="store_true", help="create it disabled")
    p.add_argument("--plan", help="attach it to this usage plan at once")
    add_target_args(p)


PREFIX = "gatepost keys"


def _value(arg: str | None) -> str | None:
    return sys.stdin.readline().strip() if arg == "-" else arg


def run_create(args: argparse.Namespace) -> int:
    tags = dict(t.split("=", 1) for t in args.tag if "=" in t)
    if len(tags) != len(args.tag):
        return fail(PREFIX, "write tags as --tag key=value")
    imported = _value(getattr(args, "value", None))
    params = {"name": args.name, "description": args.description, "tags": tags, "enabled": not args.disabled,
              "plan": args.plan, "value": imported}

    def show(created: dict[str, Any]) -> None:
        if imported is not None:  # the caller has the value already
            print(f"id:    {created['id']}\nname:  {created['name']}")
            return
        print(f"id:    {created['id']}\nname:  {created['name']}\nvalue: {created['value']}")
        print("The value is shown only now: the catalog keeps its SHA-256 hash. Send it as the x-api-key header.",
              file=sys.stderr)

    return run(args, PREFIX, "CreateApiKey", params, show)


def run_list(args: argparse.Namespace) -> int:
    def show(answer: dict[str, Any]) -> None:
        for view in answer["items"]:
            if args.json:
                print(json.dumps(view, sort_keys=True))
            else:
                state = "enabled " if view.get("enabled", True) else "disabled"
                print(f"{view['id']}  {state}  {view['name']:<24} plans={','.join(view['plans']) or '-'}"
                      f"  created={_date(view.get('created_at'))}")

    return run(args, PREFIX, "GetApiKeys", {}, show)


def _date(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else "-"


def run_enable(args: argparse.Namespace) -> int:
    def show(doc: dict[str, Any]) -> None:
        print(f"{doc['id']} ({doc['name']}) {'enabled' if doc['enabled'] else 'disabled'}")

    return run(args, PREFIX, "UpdateApiKey", {"key": args.key, "enabled": args.enabled}, show)


def run_rotate(args: argparse.Namespace) -> int:
    def show(rotated: dict[str, Any]) -> None:
        until = rotated["old_value_valid_until"]
        when = f"until {_date(until)}" if until else "no longer (no grace period)"
        print(f"id:    {rotated['id']}\nname:  {rotated['name']}\nvalue: {rotated['value']}")
        print(f"The old value works {when}. The new value is shown only now.", file=sys.stderr)

    params = {"key": args.key, "grace": args.grace, "value": _value(args.value)}
    return run(args, PREFIX, "RotateApiKey", params, show)
