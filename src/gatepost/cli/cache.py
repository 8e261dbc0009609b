"""`gatepost cache flush API STAGE`: flush the Lambda authorizer result cache of one API stage
(AWS's FlushStageAuthorizersCache).

The flush is recorded in the catalog (state.catalog, collection `authorizer_cache_flushes`): every running
gateway of this config watches it and drops the stage's cached results within a second, in every
worker. When state.cache is Redis, the stage's entries are also deleted there at once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from gatepost.cli.common import add_config_arg, help_and_fail, open_from_args


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cache", help="manage authorizer result caches", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION")
    flush = actions.add_parser("flush", help="flush one API stage's Lambda authorizer cache", description=__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    flush.add_argument("api", help="the API's name in the config (or its api_id)")
    flush.add_argument("stage", help="the stage the API serves (its `stage:`; prod by default on REST APIs, "
                                     "$default on http APIs)")
    add_config_arg(flush)
    flush.set_defaults(func=run_flush)
    p.set_defaults(func=lambda args: help_and_fail(p))



def run_flush(args: argparse.Namespace) -> int:
    from gatepost.authorizers.result_cache import FLUSH_COLLECTION, flush_key, stage_prefix
    from gatepost.config.compile import api_info

    ctx = open_from_args(args)
    try:
        infos = [api_info(name, cfg) for name, cfg in ctx.config.apis.items()]
        info = next((i for i in infos if args.api in (i.name, i.api_id)), None)
        if info is None:
            names = ", ".join(i.name for i in infos)
            print(f"gatepost cache flush: no API {args.api!r} in {ctx.config_path} (APIs: {names})", file=sys.stderr)
            return 1
        if args.stage != info.stage:
            print(f"gatepost cache flush: API {info.name!r} serves stage {info.stage!r}, not {args.stage!r}",
                  file=sys.stderr)
            return 1
        doc = ctx.catalog.update(FLUSH_COLLECTION, flush_key(info.api_id, info.stage), _bump)
        try:
            removed = _delete_shared(ctx.config.state.cache, stage_prefix(info.api_id, info.stage))
        except Exception as exc:
            print(f"gatepost cache flush: flush recorded in the catalog, but deleting from "
                  f"{_scheme(ctx.config.state.cache)} failed ({type(exc).__name__}: {exc})", file=sys.stderr)
            return 1
    finally:
        ctx.catalog.close()
    seq = doc["seq"] if doc else 0
    shared = f"; {removed} entries deleted from {_scheme(ctx.config.state.cache)}" if removed is not None else ""
    print(f"flushed the authorizer cache of {info.name} stage {info.stage} (flush #{seq}{shared}); "
          "running gateways drop their cached results within a second")
    return 0


def _bump(doc: dict[str, Any] | None) -> dict[str, Any]:
    return {"seq": int((doc or {}).get("seq", 0)) + 1, "requested_at": time.time()}


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


def _delete_shared(cache_url: str, prefix: str) -> int | None:
    """Delete the stage's entries from a shared (Redis) cache; None for a per-process memory cache."""
    if cache_url.startswith("memory:"):
        return None
    from gatepost.clock import SYSTEM_CLOCK
    from gatepost.stores.url import open_cache

    async def delete() -> int:
        cache = open_cache(cache_url, SYSTEM_CLOCK)
        try:
            return await cache.delete_prefix(prefix)
        finally:
            await cache.close()

    return asyncio.run(delete())
