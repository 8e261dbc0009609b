"""`gatepost plans list|show|attach-key|detach-key`: usage plans (declared in the config's `usage_plans:`)
and the keys attached to them (kept in the catalog; a running gateway sees changes within a second).

A key may be in several plans, but in only one plan per API stage (as AWS). `attach-key` can give one key
its own throttle (`--rate`, `--burst`) or quota limit (`--quota-limit`) within the plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gatepost.cli.common import add_config_arg, help_and_fail, open_from_args

_RAW = argparse.RawDescriptionHelpFormatter


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plans", help="show usage plans and attach API keys to them", description=__doc__,
                       formatter_class=_RAW)
    actions = p.add_subparsers(dest="plans_action", metavar="ACTION")
    lst = actions.add_parser("list", help="the plans of the config, with their limits and key counts")
    add_config_arg(lst)
    lst.set_defaults(func=run_list)
    show = actions.add_parser("show", help="one plan: stages, limits, overrides and attached keys (JSON)")
    show.add_argument("plan")
    add_config_arg(show)
    show.set_defaults(func=run_show)
    attach = actions.add_parser("attach-key", help="attach a key to a plan (optionally with its own limits)")
    attach.add_argument("plan")
    attach.add_argument("key", help="key id or name")
    attach.add_argument("--rate", type=float, help="this key's throttle rate (requests/s) in the plan")
    attach.add_argument("--burst", type=int, help="this key's throttle burst in the plan")
    attach.add_argument("--quota-limit", type=int, help="this key's quota limit per the plan's period")
    add_config_arg(attach)
    attach.set_defaults(func=run_attach)
    detach = actions.add_parser("detach-key", help="detach a key from a plan")
    detach.add_argument("plan")
    detach.add_argument("key", help="key id or name")
    add_config_arg(detach)
    detach.set_defaults(func=run_detach)
    p.set_defaults(func=lambda args: help_and_fail(p))



def _fail(message: str) -> int:
    print(f"gatepost plans: {message}", file=sys.stderr)
    return 1


def _limits(plan: Any) -> str:
    throttle = f"{plan.throttle.rate:g}/s burst {plan.throttle.burst}" if plan.throttle else "none"
    quota = f"{plan.quota.limit}/{plan.quota.period}" if plan.quota else "none"
    return f"throttle={throttle} quota={quota}"


def run_list(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import KeyStore, plan_stages

    ctx = open_from_args(args)
    try:
        attachments = KeyStore(ctx.catalog).attachments()
    finally:
        ctx.catalog.close()
    stages = plan_stages(ctx.config)
    for name, plan in ctx.config.usage_plans.items():
        keys = sum(1 for a in attachments if a["plan"] == name)
        where = ",".join(f"{a}/{s}" for a, s in sorted(stages[name]))
        print(f"{name:<16} stages={where} {_limits(plan)} keys={keys}")
    orphans = sorted({a["plan"] for a in attachments} - set(ctx.config.usage_plans))
    for name in orphans:
        print(f"{name:<16} (not in the config: its {sum(a['plan'] == name for a in attachments)} attached key(s) "
              "are ignored)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import KeyStore

    ctx = open_from_args(args)
    plan = ctx.config.usage_plans.get(args.plan)
    if plan is None:
        ctx.catalog.close()
        return _fail(f"no usage plan {args.plan!r} in {ctx.config_path}")
    try:
        store = KeyStore(ctx.catalog)
        keys: list[dict[str, Any]] = []
        for att in store.attachments(args.plan):
            doc = ctx.catalog.get("api_keys", att["key_id"]) or {}
            entry: dict[str, Any] = {"id": att["key_id"], "name": doc.get("name"), "enabled": doc.get("enabled")}
            entry.update({k: att[k] for k in ("throttle", "quota_limit") if k in att})
            keys.append(entry)
    finally:
        ctx.catalog.close()
    print(json.dumps({"name": args.plan, **plan.model_dump(exclude_none=True), "keys": keys}, indent=2))
    return 0


def run_attach(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import ApiKeyError, KeyStore, plan_stages

    if (args.rate is None) != (args.burst is None):
        return _fail("give --rate and --burst together")
    if (args.rate is not None and args.rate <= 0) or (args.burst is not None and args.burst < 1):
        return _fail("--rate must be above 0 and --burst at least 1")
    if args.quota_limit is not None and args.quota_limit < 0:
        return _fail("--quota-limit cannot be negative")
    ctx = open_from_args(args)
    try:
        throttle = {"rate": args.rate, "burst": args.burst} if args.rate is not None else None
        doc = KeyStore(ctx.catalog).attach(args.plan, args.key, stages=plan_stages(ctx.config), throttle=throttle,
                                           quota_limit=args.quota_limit)
    except ApiKeyError as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    print(f"key {doc['key_id']} attached to plan {args.plan}")
    return 0


def run_detach(args: argparse.Namespace) -> int:
    from gatepost.usage.keys import ApiKeyError, KeyStore

    ctx = open_from_args(args)
    try:
        found = KeyStore(ctx.catalog).detach(args.plan, args.key)
    except ApiKeyError as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    if not found:
        return _fail(f"key {args.key!r} is not attached to plan {args.plan!r}")
    print(f"key {args.key} detached from plan {args.plan}")
    return 0
