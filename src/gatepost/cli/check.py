"""`gatepost check CONFIG`: validate a config and print every problem with its file, line, place and fix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gatepost.cli import template_args
from gatepost.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="validate a config file", description=__doc__)
    p.add_argument("config", help="path to gatepost.yaml (or an AWS OpenAPI export)")
    p.add_argument("--bindings", help="bindings file for an OpenAPI export (default: DOC.bindings.yaml)")
    template_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.config.load import load_file
    from gatepost.config.state_check import compile_checked
    from gatepost.services import Services

    try:
        config, doc = load_file(args.config, bindings=args.bindings)
        gw = compile_checked(config, doc, Services(workers=config.server.workers), Path(args.config).resolve().parent)
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {args.config}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    routes = sum(len(a.routes) for a in gw.apis)
    for line in getattr(doc, "report", list)():  # a template: every resource's fate (templates/fates.py)
        print(line)
    print(f"{args.config}: OK ({len(gw.apis)} API(s), {routes} route(s))")
    return 0
