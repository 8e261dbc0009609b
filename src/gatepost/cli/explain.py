"""`gatepost explain CONFIG [--json]`: for every route of every API, how it decides whether the caller is
allowed: authorizer, identity source, who owns the identity provider, hot-path cost, provider coupling,
what propagates to the integration, API key and usage plan, resource-policy effect, public or not.
CONFIG may be a native gatepost.yaml or an AWS OpenAPI export (with --bindings)."""

from __future__ import annotations

import argparse

import orjson

from gatepost.cli import template_args

WIDTH = 120  # a common terminal; --wide for every column


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("explain", help="print how every route decides who may call it", description=__doc__)
    p.add_argument("config", help="gatepost.yaml, or an AWS OpenAPI export")
    p.add_argument("--bindings", help="bindings file for an OpenAPI export (default: DOC.bindings.yaml)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per route) instead of a table")
    p.add_argument("--wide", action="store_true",
                   help="every column, uncut (identity source, IdP owner, hot-path cost, coupling, propagates); "
                        f"by default the table fits {WIDTH} columns")
    template_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.explain.explain import COLUMNS, NARROW, explain, render_table
    from gatepost.explain.load import load_or_exit

    loaded = load_or_exit(args.config, args.bindings)
    catalog = None
    if loaded.config.identity_pools:  # which identity-pool roles reach each IAM route: the roles live there
        from gatepost.stores.url import open_catalog

        catalog = open_catalog(loaded.config.state.catalog, loaded.path.resolve().parent)
    rows = explain(loaded, catalog)
    if args.json:
        print(orjson.dumps([r.as_dict() for r in rows], option=orjson.OPT_INDENT_2).decode())
    elif args.wide:
        print(render_table(rows, COLUMNS), end="")
    else:
        print(render_table(rows, NARROW, WIDTH), end="")
        print("(--wide: every column, uncut: identity source, IdP owner, hot-path cost, coupling, propagates)")
        for name, api in loaded.config.apis.items():
            for item in api.not_imported:  # a partial import's refusals (gatepost import --accept-partial)
                print(f"NOT CONVERTED (API {name}) {item}")
    return 0
