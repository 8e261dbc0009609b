"""The built-in pools' current signing keys, for `gatepost probe` (read-only, outside the gateway).

The probe mints an expired token with a pool's own key, so the only reason a correct gateway refuses it is
expiry. The key comes from the catalog named by the config (`state.catalog`, relative to the config's
folder), unsealed with the master key under the gateway's rules (`GATEPOST_MASTER_KEY`, else `master.key`
beside the catalog). Nothing is created or written: a missing catalog, master key or signing key, or a
master key that does not unseal the stored key, is a reason to skip the attempt, never a crash.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from gatepost.explain.load import Loaded
from gatepost.iam.crypto import ENV_VAR, SecretBox, SecretError, key_file_for
from gatepost.idp.keys import load_ring
from gatepost.idp.pool import Pool
from gatepost.idp.registry import UserPools
from gatepost.idp.sessions import REVOKED
from gatepost.stores.base import Catalog
from gatepost.stores.url import sqlite_path

log = logging.getLogger("gatepost.probe")
REVOKED_MARGIN = 120.0  # seconds a revoked session must stay revoked for the probe to imitate it


@dataclass(frozen=True)
class PoolKey:
    """A pool's current signing key, and a revoked session still in force (for `check_revocation` routes)."""

    pool: Pool
    kid: str
    signer: rsa.RSAPrivateKey = field(repr=False)
    revoked_origin_jti: str | None = field(default=None, repr=False)


def declared_pools(loaded: Loaded) -> dict[str, Pool]:
    """name -> Pool, for the built-in pools the config declares (`user_pools:`), when a protected route could
    use their tokens (a `builtin:` user pool or a Lambda authorizer)."""
    pools = UserPools.of(loaded.gateway.services)
    if pools is None:
        return {}
    for api in loaded.gateway.apis:
        for route in api.routes:
            cfg = loaded.authorizer_config(api, route.authorizer.name) if route.authorizer.name else None
            if not route.public and (route.authorizer.kind == "lambda" or getattr(cfg, "builtin", None)):
                return dict(pools.core.pools)
    return {}


def read_pool_keys(loaded: Loaded, now: float) -> dict[str, PoolKey | str]:
    """pool name -> its key, or why the probe cannot have it (blocking: catalog and decryption)."""
    pools = declared_pools(loaded)
    if not pools:
        return {}
    config_dir = loaded.path.resolve().parent
    opened = _open_catalog(loaded.config.state.catalog, config_dir)
    if isinstance(opened, str):
        return dict.fromkeys(pools, opened)
    try:
        box = _open_box(opened, config_dir)
        if isinstance(box, str):
            return dict.fromkeys(pools, box)
        return {name: _pool_key(opened, pool, box, now) for name, pool in pools.items()}
    finally:
        opened.close()


def _open_catalog(url: str, config_dir: Path) -> Catalog | str:
    if urlsplit(url).scheme != "sqlite":
        return f"the catalog {url} lives in the gateway's process: the probe cannot read the pool's key"
    path = sqlite_path(url, config_dir)
    if not path.is_file():
        return f"no catalog at {path} (start the gateway once, or run the probe where its catalog is)"
    from gatepost.stores.sqlite import SqliteCatalog

    try:
        return SqliteCatalog(path)
    except (sqlite3.Error, OSError) as exc:
        return f"cannot read the catalog {path}: {exc}"


def _open_box(catalog: Catalog, config_dir: Path) -> SecretBox | str:
    """The gateway's master key, without creating a key file when there is none."""
    if os.environ.get(ENV_VAR):
        return SecretBox.for_catalog(catalog, config_dir)
    key_file = key_file_for(catalog, config_dir)
    if not key_file.is_file():
        return f"no master key (${ENV_VAR} is unset and {key_file} does not exist)"
    return SecretBox.open(key_file)


def _pool_key(catalog: Catalog, pool: Pool, box: SecretBox, now: float) -> PoolKey | str:
    try:
        ring = load_ring(catalog, pool.pool_id, box, pool.max_token_seconds)
    except (sqlite3.Error, OSError, SecretError, ValueError) as exc:
        log.warning("probe.pool_key_unreadable pool=%s error=%s", pool.pool_id, type(exc).__name__)
        return f"cannot read the pool {pool.name}'s signing key ({type(exc).__name__})"
    if ring.signer is None or ring.kid is None:
        if ring.published:
            return (f"the master key does not unseal the pool {pool.name}'s signing key (set ${ENV_VAR} "
                    "to the gateway's master key)")
        return f"the pool {pool.name} has no signing key yet (start the gateway, or `gatepost pools create`)"
    if not isinstance(ring.signer, rsa.RSAPrivateKey):
        return f"the pool {pool.name}'s signing key is not an RSA key"
    return PoolKey(pool, ring.kid, ring.signer, _revoked_session(catalog, pool, now))


def _revoked_session(catalog: Catalog, pool: Pool, now: float) -> str | None:
    """The origin_jti of a revoked session that stays revoked for a while (the latest), if any."""
    live = [(float(d.get("until", 0)), key.split("/", 1)[1])
            for key, d in catalog.list(REVOKED, prefix=f"{pool.pool_id}/")
            if float(d.get("until", 0)) > now + REVOKED_MARGIN]
    return max(live)[1] if live else None
