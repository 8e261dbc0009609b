"""`gatepost usage KEY [--from DAY] [--to DAY] [--plan PLAN]`: a key's usage per day, as AWS's GetUsage.

Prints one JSON document per plan the key is attached to (or `--plan`):
{"usagePlanId": ..., "startDate": ..., "endDate": ..., "items": {"KEY_ID": [[used, remaining], ...]}}
with one `[used, remaining]` pair per UTC day; `remaining` is what was left of the quota at that day's end
(null when the plan has no quota). Days are YYYY-MM-DD; by default the last 7 days through today.
Gateways write usage about once a second, so the last second may not show yet. With `--admin URL` the
report comes from a running gateway's admin API (docs/operations.md).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gatepost.cli.invoke import add_target_args
from gatepost.cli.invoke import run as call


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("usage", help="report an API key's usage per day (GetUsage)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("key", help="key id or name")
    p.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: 6 days before --to)")
    p.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--plan", help="only this usage plan")
    add_target_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def show(answer: dict[str, Any]) -> None:
        for report in answer["items"]:
            print(json.dumps(report))

    params = {"key": args.key, "from": args.first, "to": args.last, "plan": args.plan}
    return call(args, "gatepost usage", "GetUsage", params, show)
