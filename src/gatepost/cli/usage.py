"""`gatepost usage KEY [--from DAY] [--to DAY] [--plan PLAN]`: a key's usage per day, as AWS's GetUsage.

Prints one JSON document per plan the key is attached to (or `--plan`):
{"usagePlanId": ..., "startDate": ..., "endDate": ..., "items": {"KEY_ID": [[used, remaining], ...]}}
with one `[used, remaining]` pair per UTC day; `remaining` is what was left of the quota at that day's end
(null when the plan has no quota). Days are YYYY-MM-DD; by default the last 7 days through today.
Gateways write usage about once a second, so the last second may not show yet.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
import time

from gatepost.cli.common import add_config_arg, open_from_args


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("usage", help="report an API key's usage per day (GetUsage)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("key", help="key id or name")
    p.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: 6 days before --to)")
    p.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--plan", help="only this usage plan")
    add_config_arg(p)
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"gatepost usage: {message}", file=sys.stderr)
    return 1


def _day(text: str | None, default: float) -> str:
    if text is None:
        return time.strftime("%Y-%m-%d", time.gmtime(default))
    time.strptime(text, "%Y-%m-%d")
    return text


def run(args: argparse.Namespace) -> int:
    from gatepost.usage.keyring import Attachment
    from gatepost.usage.keys import ApiKeyError, KeyStore
    from gatepost.usage.report import get_usage

    try:
        last = _day(args.last, time.time())
        first = _day(args.first, calendar.timegm(time.strptime(last, "%Y-%m-%d")) - 6 * 86400)
    except ValueError:
        return _fail("write days as YYYY-MM-DD")
    ctx = open_from_args(args)
    try:
        store = KeyStore(ctx.catalog)
        key = store.find(args.key)
        attached = {a["plan"]: a for a in store.plans_of(key["id"])}
        names = [args.plan] if args.plan else sorted(attached)
        if not names:
            return _fail(f"key {key['name']!r} is in no usage plan; use --plan PLAN to report one anyway")
        for name in names:
            plan = ctx.config.usage_plans.get(name)
            if plan is None:
                return _fail(f"no usage plan {name!r} in {ctx.config_path}")
            a = attached.get(name)
            att = Attachment(name, float(a["attached_at"]), quota_limit=a.get("quota_limit")) if a else None
            print(json.dumps(get_usage(ctx.catalog, name, plan, key["id"], first, last, att)))
    except (ApiKeyError, ValueError) as exc:
        return _fail(str(exc))
    finally:
        ctx.catalog.close()
    return 0
