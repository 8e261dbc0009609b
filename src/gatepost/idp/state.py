"""A pool's record in the catalog (`idp_pools`, key = pool id): creation time and the confidential clients'
secrets, sealed with the master key. `ensure_pool` creates the record, the secrets and the first signing
key when missing (first start, `gatepost pools create`); several processes may race safely."""

from __future__ import annotations

import secrets

from gatepost.iam.crypto import SecretBox, SecretError
from gatepost.idp.keys import add_key, key_docs
from gatepost.idp.pool import Pool
from gatepost.stores.base import Catalog, Doc

POOLS = "idp_pools"


def _secret_context(pool: Pool, client_id: str) -> str:
    return f"idp-client:{pool.pool_id}/{client_id}"


def new_client_secret() -> str:
    return secrets.token_urlsafe(38)[:51].lower().replace("-", "0").replace("_", "1")


def ensure_pool(catalog: Catalog, pool: Pool, box: SecretBox, now: float) -> dict[str, str]:
    """Create what is missing; returns {client name: secret} for secrets created now (to show once)."""
    catalog.insert(POOLS, pool.pool_id, {"name": pool.name, "created_at": now, "client_secrets": {}})
    created: dict[str, str] = {}

    def add_secrets(doc: Doc | None) -> Doc | None:
        if doc is None:
            return None
        have = dict(doc.get("client_secrets", {}))
        for client in pool.clients.values():
            if client.confidential and client.client_id not in have:
                created[client.name] = new_client_secret()
                have[client.client_id] = box.seal(created[client.name], _secret_context(pool, client.client_id))
        return {**doc, "client_secrets": have}

    if any(c.confidential for c in pool.clients.values()):
        catalog.update(POOLS, pool.pool_id, add_secrets)
    if not key_docs(catalog, pool.pool_id):
        add_key(catalog, pool.pool_id, box, now, retire_others=False)
    return created


def client_secrets(catalog: Catalog, pool: Pool, box: SecretBox) -> dict[str, str]:
    """client id -> secret, for the pool's confidential clients (blocking: run in a thread)."""
    doc = catalog.get(POOLS, pool.pool_id) or {}
    out = {}
    for client_id, sealed in doc.get("client_secrets", {}).items():
        if client_id in pool.clients:
            try:
                out[client_id] = box.unseal(sealed, _secret_context(pool, client_id))
            except SecretError:
                continue  # fail closed: that client cannot authenticate
    return out


def rotate_client_secret(catalog: Catalog, pool: Pool, client_id: str, box: SecretBox) -> str:
    secret = new_client_secret()
    sealed = box.seal(secret, _secret_context(pool, client_id))
    catalog.update(POOLS, pool.pool_id, lambda d: None if d is None else
                   {**d, "client_secrets": {**d.get("client_secrets", {}), client_id: sealed}})
    return secret
