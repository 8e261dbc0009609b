"""`gatepost plans list|show|attach-key|detach-key`: usage plans (declared in the config's `usage_plans:`)
and the keys attached to them (kept in the catalog; a running gateway sees changes within a second).

A key may be in several plans, but in only one plan per API stage (as AWS). `attach-key` can give one key
its own throttle (`--rate`, `--burst`) or quota limit (`--quota-limit`) within the plan.
With `--admin URL` a verb acts through a running gateway's admin API (docs/operations.md) instead.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gatepost.cli.common import help_and_fail
from gatepost.cli.invoke import add_target_args, run

_RAW = argparse.RawDescriptionHelpFormatter


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plans", help="show usage plans and attach API keys to them", description=__doc__,
                       formatter_class=_RAW)
    actions = p.add_subparsers(dest="plans_action", metavar="ACTION")
    lst = actions.add_parser("list", help="the plans of the config, with their limits and key counts")
    add_target_args(lst)
    lst.set_defaults(func=run_list)
    show = actions.add_parser("show", help="one plan: stages, limits, overrides and attached keys (JSON)")
    show.add_argument("plan")
    add_target_args(show)
    show.set_defaults(func=run_show)
    attach = actions.add_parser("attach-key", help="attach a key to a plan (optionally with its own limits)")
    attach.add_argument("plan")
    attach.add_argument("key", help="key id or name")
    attach.add_argument("--rate", type=float, help="this key's throttle rate (requests/s) in the plan")
    attach.add_argument("--burst", type=int, help="this key's throttle burst in the plan")
    attach.add_argument("--quota-limit", type=int, help="this key's quota limit per the plan's period")
    add_target_args(attach)
    attach.set_defaults(func=run_attach)
    detach = actions.add_parser("detach-key", help="detach a key from a plan")
    detach.add_argument("plan")
    detach.add_argument("key", help="key id or name")
    add_target_args(detach)
    detach.set_defaults(func=run_detach)
    p.set_defaults(func=lambda args: help_and_fail(p))



PREFIX = "gatepost plans"


def _limits(row: dict[str, Any]) -> str:
    throttle = f"{row['throttle']['rate']:g}/s burst {row['throttle']['burst']}" if row["throttle"] else "none"
    quota = f"{row['quota']['limit']}/{row['quota']['period']}" if row["quota"] else "none"
    return f"throttle={throttle} quota={quota}"


def run_list(args: argparse.Namespace) -> int:
    def show(answer: dict[str, Any]) -> None:
        for row in answer["items"]:
            if row["in_config"]:
                where = ",".join(f"{a}/{s}" for a, s in row["stages"])
                print(f"{row['name']:<16} stages={where} {_limits(row)} keys={row['keys']}")
            else:
                print(f"{row['name']:<16} (not in the config: its {row['keys']} attached key(s) are ignored)")

    return run(args, PREFIX, "GetUsagePlans", {}, show)


def run_show(args: argparse.Namespace) -> int:
    return run(args, PREFIX, "GetUsagePlan", {"plan": args.plan}, lambda plan: print(json.dumps(plan, indent=2)))


def run_attach(args: argparse.Namespace) -> int:
    params = {"plan": args.plan, "key": args.key, "rate": args.rate, "burst": args.burst,
              "quota_limit": args.quota_limit}
    return run(args, PREFIX, "CreateUsagePlanKey", params,
               lambda doc: print(f"key {doc['key_id']} attached to plan {args.plan}"))


def run_detach(args: argparse.Namespace) -> int:
    return run(args, PREFIX, "DeleteUsagePlanKey", {"plan": args.plan, "key": args.key},
               lambda _: print(f"key {args.key} detached from plan {args.plan}"))
