"""IdpCore: the pools' shared state and the token mint. Blocking (catalog, argon2, RSA): the gateway calls
it from a thread (registry.py); the CLI calls it directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatepost.clock import Clock
from gatepost.iam.crypto import SecretBox
from gatepost.idp.errors import internal_error, not_authorized, resource_not_found
from gatepost.idp.jws import sign_rs256
from gatepost.idp.keys import KeyRing, load_ring
from gatepost.idp.passwords import Passwords
from gatepost.idp.pool import Client, Pool
from gatepost.idp.sessions import Session, Sessions
from gatepost.idp.state import client_secrets, ensure_pool
from gatepost.idp.tokens import Sign, access_claims, id_claims
from gatepost.idp.users import UserStore
from gatepost.stores.base import Catalog, Doc

log = logging.getLogger("gatepost.idp")


def secret_hash(secret: str, username: str, client_id: str) -> str:
    """Cognito's SECRET_HASH: Base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signer_of(doc: Doc) -> Sign:
    return Sign(doc["username"], doc["sub"], doc.get("attributes", {}), tuple(doc.get("groups", [])))


class IdpCore:
    def __init__(self, pools: Mapping[str, Pool], catalog: Catalog, clock: Clock, config_dir: Path) -> None:
        self.pools = dict(pools)
        self.by_id = {p.pool_id: p for p in pools.values()}
        self.by_issuer = {p.issuer: p for p in pools.values()}
        self.by_client = {cid: (p, c) for p in pools.values() for cid, c in p.clients.items()}
        self.catalog = catalog
        self.clock = clock
        self.config_dir = config_dir
        self.passwords = {p.pool_id: Passwords(p.config.hashing) for p in pools.values()}
        self.users = UserStore(catalog, self.passwords)
        self.sessions = Sessions(catalog)
        self._box: SecretBox | None = None
        self.rings: dict[str, KeyRing] = {}
        self.secrets: dict[str, str] = {}  # client id -> secret (confidential clients)

    @property
    def box(self) -> SecretBox:
        if self._box is None:
            self._box = SecretBox.for_catalog(self.catalog, self.config_dir)
        return self._box

    # ---- loading (blocking) -------------------------------------------------------------------------------

    def ensure(self) -> dict[str, dict[str, str]]:
        """Create missing pool records and keys; returns new client secrets per pool name."""
        now = self.clock.now()
        return {p.name: ensure_pool(self.catalog, p, self.box, now) for p in self.pools.values()}

    def load_keys(self) -> None:
        self.rings = {p.pool_id: load_ring(self.catalog, p.pool_id, self.box, p.max_token_seconds)
                      for p in self.pools.values()}

    def load_secrets(self) -> None:
        out: dict[str, str] = {}
        for pool in self.pools.values():
            out.update(client_secrets(self.catalog, pool, self.box))
        self.secrets = out

    # ---- lookups ------------------------------------------------------------------------------------------

    def pool(self, pool_id: Any) -> Pool:
        found = self.by_id.get(pool_id) if isinstance(pool_id, str) else None
        if found is None:
            raise resource_not_found(f"User pool {str(pool_id)[:64]} does not exist.")
        return found

    def client(self, client_id: Any) -> tuple[Pool, Client]:
        found = self.by_client.get(client_id) if isinstance(client_id, str) else None
        if found is None:
            raise resource_not_found("User pool client does not exist.")
        return found

    def check_client_secret(self, client: Client, given: str | None) -> None:
        """Confidential clients only: the client secret itself (OAuth, RevokeToken), compared in constant time."""
        secret = self.secrets.get(client.client_id)
        if not client.confidential:
            return
        if secret is None or given is None or not hmac.compare_digest(secret.encode(), given.encode()):
            raise not_authorized("idp.bad_client_secret", f"Unable to verify secret for client {client.client_id}")

    def check_secret_hash(self, client: Client, username: str, given: str | None) -> None:
        if not client.confidential:
            return
        if not given:
            raise not_authorized("idp.secret_hash_missing", f"Client {client.client_id} is configured with secret "
                                                            "but SECRET_HASH was not received")
        secret = self.secrets.get(client.client_id)
        expected = secret_hash(secret, username, client.client_id) if secret is not None else ""
        if not secret or not hmac.compare_digest(expected.encode(), given.encode()):
            raise not_authorized("idp.bad_secret_hash", f"Unable to verify secret hash for client {client.client_id}")

    # ---- minting ------------------------------------------------------------------------------------------

    def sign(self, pool: Pool, claims: dict[str, Any]) -> str:
        ring = self.rings.get(pool.pool_id)
        if ring is None or ring.signer is None or ring.kid is None:
            log.error("idp.no_signing_key pool=%s", pool.pool_id)
            raise internal_error()
        return sign_rs256(claims, ring.signer, ring.kid)

    def mint(self, pool: Pool, client: Client, user: Doc, *, origin_jti: str, auth_time: int,
             with_refresh: bool) -> dict[str, Any]:
        """Cognito's AuthenticationResult for a user; a new refresh token when `with_refresh`."""
        now = self.clock.now()
        validity = pool.config.token_validity
        who, event_id = signer_of(user), str(uuid.uuid4())
        at = int(now)
        access = access_claims(pool, client, who, now=at, auth_time=auth_time, origin_jti=origin_jti,
                               event_id=event_id, validity=validity.access_token)
        id_ = id_claims(pool, client, who, now=at, auth_time=auth_time, origin_jti=origin_jti, event_id=event_id,
                        validity=validity.id_token)
        result: dict[str, Any] = {"AccessToken": self.sign(pool, access), "ExpiresIn": validity.access_token,
                                  "TokenType": "Bearer", "IdToken": self.sign(pool, id_)}
        if with_refresh:
            session = Session(client.client_id, user["username"], user["sub"], origin_jti, auth_time,
                              now + validity.refresh_token)
            result["RefreshToken"] = self.sessions.issue_refresh(pool, session, now)
        return result

    def require_user(self, pool: Pool, username: str) -> Doc:
        doc = self.users.get(pool, username)
        if doc is None:
            raise not_authorized("idp.user_gone")
        return doc

