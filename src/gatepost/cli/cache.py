"""`gatepost cache flush API STAGE`: flush the Lambda authorizer result cache of one API stage
(AWS's FlushStageAuthorizersCache).

The flush is recorded in the catalog (state.catalog, collection `authorizer_cache_flushes`): every running
gateway of this config watches it and drops the stage's cached results within a second, in every
worker. When state.cache is Redis, the stage's entries are also deleted there at once. With `--admin URL`
the flush goes through a running gateway's admin API (docs/operations.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from gatepost.cli.common import help_and_fail
from gatepost.cli.invoke import add_target_args, run


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cache", help="manage authorizer result caches", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION")
    flush = actions.add_parser("flush", help="flush one API stage's Lambda authorizer cache", description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    flush.add_argument("api", help="the API's name in the config (or its api_id)")
    flush.add_argument("stage", help="the stage the API serves (its `stage:`; prod by default on REST APIs, "
                                     "$default on http APIs)")
    add_target_args(flush)
    flush.set_defaults(func=run_flush)
    p.set_defaults(func=lambda args: help_and_fail(p))


def run_flush(args: argparse.Namespace) -> int:
    def show(done: dict[str, Any]) -> None:
        shared = f"; {done['removed']} entries deleted from {done['cache']}" if done["removed"] is not None else ""
        print(f"flushed the authorizer cache of {done['api']} stage {done['stage']} (flush #{done['seq']}{shared}); "
              "running gateways drop their cached results within a second")

    return run(args, "gatepost cache flush", "FlushAuthorizerCache", {"api": args.api, "stage": args.stage}, show)
