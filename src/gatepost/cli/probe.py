"""`gatepost probe URL --config CONFIG`: against a running gateway, send every protected route (path
parameters filled with sample values) requests it must refuse: no credentials, a garbage bearer token,
an expired token (a built-in pool's own key from the config's catalog and master key, or --jwt-key), a
revoked session's token (built-in pool routes with check_revocation), a token from an unknown issuer, a
SigV4 request with a bad signature, a missing and a wrong API key, and another method on the same path
when a public route would catch it. A route passes when every attempt gets a 4xx and its integration
was not called (read from the gateway's /_gatepost/integration-calls, loopback only). A 5xx is a
finding; a 2xx or an integration call is a failure. Exits 1 when any route failed (or had findings, with --strict)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import orjson

from gatepost.cli import template_args


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("probe", help="check a running gateway refuses unauthenticated requests", description=__doc__)
    p.add_argument("url", help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--config", "-c", default=os.environ.get("GATEPOST_CONFIG", "gatepost.yaml"),
                   help="the config the gateway runs (default: $GATEPOST_CONFIG or ./gatepost.yaml)")
    p.add_argument("--bindings", help="bindings file when --config is an OpenAPI export")
    p.add_argument("--jwt-key", help="PEM RSA private key of an issuer the gateway trusts: lets the probe mint "
                                     "expired tokens for it")
    p.add_argument("--jwt-kid", default="gatepost-probe", help="the `kid` to put in minted tokens")
    p.add_argument("--sigv4-key", default=os.environ.get("GATEPOST_PROBE_SIGV4_KEY"),
                   help="ACCESS_KEY_ID:SECRET to sign the bad-signature attempt with a known key (default: "
                        "$GATEPOST_PROBE_SIGV4_KEY, else a random key); the secret itself is never sent")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--strict", action="store_true", help="exit 1 on findings (5xx) too")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    template_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.explain.jwt_mint import load_key
    from gatepost.explain.load import load_or_exit
    from gatepost.explain.pool_keys import read_pool_keys
    from gatepost.explain.probe import FAIL, FINDING, Unreachable, render, run_probe
    from gatepost.explain.probe_plan import ProbeOptions

    loaded = load_or_exit(args.config, args.bindings)
    options = ProbeOptions(now=time.time(), jwt_kid=args.jwt_kid)
    options.pool_keys = read_pool_keys(loaded, options.now)
    try:
        if args.jwt_key:
            options.jwt_key = load_key(args.jwt_key)
    except (OSError, ValueError) as exc:
        print(f"--jwt-key: {exc}", file=sys.stderr)
        return 2
    if args.sigv4_key:
        key_id, _, secret = args.sigv4_key.partition(":")
        options.sigv4_credentials = (key_id, secret)
    try:
        results, problem = asyncio.run(run_probe(loaded, args.url, options, args.timeout))
    except Unreachable as exc:
        print(f"gatepost probe: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(orjson.dumps({"routes": [r.as_dict() for r in results], "counts_problem": problem or None},
                           option=orjson.OPT_INDENT_2).decode())
    else:
        print(render(results, problem), end="")
    bad = {FAIL, FINDING} if args.strict else {FAIL}
    return 1 if any(r.verdict in bad for r in results) else 0
