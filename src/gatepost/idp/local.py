"""The pools of a config, outside a running gateway: for the CLI and the first-start demo hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.idp.core import IdpCore
from gatepost.idp.pool import Pool, compile_pools
from gatepost.stores.base import Catalog


class PoolLookupError(ValueError):
    pass


def local_core(config: Any, catalog: Catalog, config_dir: Path, clock: Clock = SYSTEM_CLOCK) -> IdpCore:
    pools = compile_pools(config.user_pools, config.server.host, config.server.port)
    return IdpCore(pools, catalog, clock, config_dir)


def find_pool(core: IdpCore, name: str | None) -> Pool:
    """A pool by name or pool id; the only pool when `name` is None."""
    if name is None:
        if len(core.pools) == 1:
            return next(iter(core.pools.values()))
        raise PoolLookupError(f"name a pool with --pool (declared: {', '.join(sorted(core.pools)) or 'none'})")
    found = core.pools.get(name) or core.by_id.get(name)
    if found is None:
        raise PoolLookupError(f"no user pool {name!r} under user_pools: (declared: "
                              f"{', '.join(sorted(core.pools)) or 'none'})")
    return found
