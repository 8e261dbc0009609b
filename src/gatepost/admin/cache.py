"""Flushing one API stage's Lambda authorizer result cache (`gatepost cache flush API STAGE` and
DELETE /admin/apis/{api}/stages/{stage}/authorizer-cache), as AWS's FlushStageAuthorizersCache.

The flush is recorded in the catalog (collection `authorizer_cache_flushes`): every running gateway of the
config watches it and drops the stage's cached results within a second, in every worker. When state.cache
is Redis, the stage's entries are also deleted there at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gatepost.admin.operation import (
    INT,
    STRING,
    Operation,
    OperationError,
    Params,
    Scope,
    bad_request,
    not_found,
    nullable,
    view,
)


def flush(scope: Scope, p: Params) -> dict[str, Any]:
    from gatepost.authorizers.result_cache import FLUSH_COLLECTION, flush_key, stage_prefix
    from gatepost.config.compile import api_info

    infos = [api_info(name, cfg) for name, cfg in scope.config.apis.items()]
    info = next((i for i in infos if p["api"] in (i.name, i.api_id)), None)
    if info is None:
        names = ", ".join(i.name for i in infos)
        raise not_found(f"no API {p['api']!r} in {scope.config_path} (APIs: {names})")
    if p["stage"] != info.stage:
        raise bad_request(f"API {info.name!r} serves stage {info.stage!r}, not {p['stage']!r}")
    doc = scope.catalog.update(FLUSH_COLLECTION, flush_key(info.api_id, info.stage), _bump)
    cache_url = scope.config.state.cache
    try:
        removed = _delete_shared(cache_url, stage_prefix(info.api_id, info.stage))
    except Exception as exc:
        raise OperationError(503, f"flush recorded in the catalog, but deleting from {_scheme(cache_url)} failed "
                                  f"({type(exc).__name__}: {exc})") from None
    return {"api": info.name, "stage": info.stage, "seq": doc["seq"] if doc else 0, "removed": removed,
            "cache": _scheme(cache_url)}


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


OPERATIONS = [
    Operation("FlushAuthorizerCache", "DELETE", "/admin/apis/{api}/stages/{stage}/authorizer-cache",
              "flush one API stage's Lambda authorizer result cache in every worker of every gateway of the config",
              flush, view(["api", "stage", "seq"], api=STRING, stage=STRING, seq=INT, removed=nullable(INT),
                          cache=STRING), refusals=(400, 404, 503)),
]
