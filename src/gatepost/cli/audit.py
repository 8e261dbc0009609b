"""`gatepost audit CONFIG [--fail-on SEVERITY] [--json]`: static findings about how routes are protected
(public routes, an API key as the only control, uncached or long-cached Lambda authorizers, a cached
authorizer shared by several routes, JWT without audience or with HS algorithms, identity sources that
end up in logs, resource policies allowing `*` without conditions, mixed authorizer kinds...), each with
a severity and a fix. Exits 1 when a finding is at or above --fail-on (default: high), for CI."""

from __future__ import annotations

import argparse

import orjson

from gatepost.cli import template_args
from gatepost.explain.audit import SEVERITIES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="static findings about how routes are protected", description=__doc__)
    p.add_argument("config", help="gatepost.yaml, or an AWS OpenAPI export")
    p.add_argument("--bindings", help="bindings file for an OpenAPI export (default: DOC.bindings.yaml)")
    p.add_argument("--fail-on", choices=[*SEVERITIES, "never"], default="high",
                   help="exit 1 when a finding has this severity or a higher one (default: high)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    template_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.explain.audit import audit, rank, render
    from gatepost.explain.load import load_or_exit

    findings = audit(load_or_exit(args.config, args.bindings))
    if args.json:
        print(orjson.dumps([f.as_dict() for f in findings], option=orjson.OPT_INDENT_2).decode())
    else:
        print(render(findings), end="")
    if args.fail_on == "never":
        return 0
    return 1 if any(rank(f.severity) >= rank(args.fail_on) for f in findings) else 0
