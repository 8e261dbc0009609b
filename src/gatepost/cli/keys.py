"""`gatepost keys create|import|list|disable|enable|rotate`: API keys in the gateway's catalog.

Values are shown once, when created or rotated, and stored only as a SHA-256 hash. A running gateway of
the same config sees every change within a second. Keys are found by id or name (names are unique).
Pass an imported value on stdin (`--value -`) to keep it out of the shell history.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from gatepost.cli.common import add_config_arg, help_and_fail, open_from_args

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
    add_config_arg(lst)
    lst.set_defaults(func=run_list)

    for name, enabled in (("disable", False), ("enable", True)):
        a = actions.add_parser(name, help=f"{name} a key (takes effect within a second)")
        a.add_argument("key", help="key id or name")
        add_config_arg(a)
        a.set_defaults(func=run_enable, enabled=enabled)

    rot = actions.add_parser("rotate", help="give a key a new value; the old one works for a grace period")
    rot.add_argument("key", help="key id or name")
    rot.add_argument("--grace", default="0", help="how long the old value keeps working: 0 (default), 90s, "
                                                  "15m, 24h, 7d")
    rot.add_argument("--value", help="import the new value instead of generating one; '-' reads stdin")
    add_config_arg(rot)
    rot.set_defaults(func=run_rotate)
    p.set_defaults(func=lambda args: help_and_fail(p))


def _key_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="a unique name, e.g. partner-acme")
    p.add_argument("--description", default="")
    p.add_argument("--tag", action="append", default=[], metavar="K=V", help="a tag (repeatable)")
    p.add_argument("--disabled", action="store_true", help="create it disabled")
    p.add_argument("--plan", help="attach it to this usage plan at once")
    add_config_arg(p)



def _fail(message: str) -> int:
    print(f"gatepost keys: {message}", file=sys.stderr)
    return 1


def _value(arg: str | None) -> str | None:
    return sys.stdin.readline().strip() if arg == "-" else arg


def _store(args: argparse.Namespace) -> Any:
    from gatepost.usage.keys import KeyStore

    ctx = open_from_args(args)
    return ctx, KeyStore(ctx.catalog)


def run_create(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import ApiKeyError, plan_stages

    tags = dict(t.split("=", 1) for t in args.tag if "=" in t)
    if len(tags) != len(args.tag):
        return _fail("write tags as --tag key=value")
    ctx, store = _store(args)
    try:
        doc, value = store.create(args.name, value=_value(getattr(args, "value", None)),
                                  description=args.description, tags=tags, enabled=not args.disabled)
        if args.plan:
            store.attach(args.plan, doc["id"], stages=plan_stages(ctx.config))
    except ApiKeyError as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    if getattr(args, "value", None) is not None:  # imported: the caller has the value already
        print(f"id:    {doc['id']}\nname:  {doc['name']}")
        return 0
    print(f"id:    {doc['id']}\nname:  {doc['name']}\nvalue: {value}")
    print("The value is shown only now: the catalog keeps its SHA-256 hash. Send it as the x-api-key header.",
          file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import public_view

    ctx, store = _store(args)
    try:
        docs = store.all()
        plans: dict[str, list[str]] = {}
        for att in store.attachments():
            plans.setdefault(att["key_id"], []).append(att["plan"])
    finally:
        ctx.catalog.close()
    for doc in docs:
        view = {**public_view(doc), "plans": sorted(plans.get(doc["id"], []))}
        if args.json:
            print(json.dumps(view, sort_keys=True))
        else:
            state = "enabled " if doc.get("enabled", True) else "disabled"
            print(f"{doc['id']}  {state}  {doc['name']:<24} plans={','.join(view['plans']) or '-'}"
                  f"  created={_date(doc.get('created_at'))}")
    return 0


def _date(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else "-"


def run_enable(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import ApiKeyError

    ctx, store = _store(args)
    try:
        doc = store.set_enabled(args.key, args.enabled)
    except ApiKeyError as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    print(f"{doc['id']} ({doc['name']}) {'enabled' if doc['enabled'] else 'disabled'}")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import ApiKeyError, parse_duration

    ctx, store = _store(args)
    try:
        grace = parse_duration(args.grace)
        doc, value = store.rotate(args.key, grace, _value(args.value))
    except ApiKeyError as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    until = f"until {_date(time.time() + grace)}" if grace else "no longer (no grace period)"
    print(f"id:    {doc['id']}\nname:  {doc['name']}\nvalue: {value}")
    print(f"The old value works {until}. The new value is shown only now.", file=sys.stderr)
    return 0
