"""Sign-in sessions: refresh tokens, RevokeToken and GlobalSignOut.

Every successful sign-in starts a session named by its `origin_jti`, which every token of the session
carries (ID and access tokens minted later from its refresh token included). Refresh tokens are opaque
random strings; the catalog keeps only their SHA-256 (`idp_refresh`, key `{pool_id}/{digest}`).
Revoking a refresh token, or signing the user out everywhere, adds the session to `idp_revoked` (key
`{pool_id}/{origin_jti}`, kept until the session's last token has expired): its refresh token stops
working at once, and routes with `check_revocation: true` refuse its ID and access tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from gatepost.idp.pool import Pool
from gatepost.idp.users import USERS, user_key
from gatepost.stores.base import Catalog, Doc

REFRESH = "idp_refresh"
REVOKED = "idp_revoked"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    client_id: str
    username: str
    sub: str
    origin_jti: str
    auth_time: int
    expires_at: float


class Sessions:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def issue_refresh(self, pool: Pool, session: Session, now: float) -> str:
        token = secrets.token_urlsafe(64)
        self.catalog.put(REFRESH, f"{pool.pool_id}/{_digest(token)}", {
            "client_id": session.client_id, "username": session.username, "sub": session.sub,
            "origin_jti": session.origin_jti, "auth_time": session.auth_time, "expires_at": session.expires_at})

        def remember(doc: Doc | None) -> Doc | None:
            if doc is None:
                return None
            live = {k: v for k, v in doc.get("sessions", {}).items() if v > now}
            return {**doc, "sessions": {**live, session.origin_jti: session.expires_at}}

        self.catalog.update(USERS, user_key(pool.pool_id, session.username), remember)
        return token

    def lookup(self, pool: Pool, token: str, now: float) -> Session | None:
        """The live, unrevoked session of a refresh token; None for anything else."""
        if not token or len(token) > 4096:
            return None
        doc = self.catalog.get(REFRESH, f"{pool.pool_id}/{_digest(token)}")
        if doc is None or now >= doc["expires_at"] or self.is_revoked(pool, doc["origin_jti"]):
            return None
        return Session(doc["client_id"], doc["username"], doc["sub"], doc["origin_jti"], int(doc["auth_time"]),
                       float(doc["expires_at"]))

    def is_revoked(self, pool: Pool, origin_jti: str) -> bool:
        return self.catalog.get(REVOKED, f"{pool.pool_id}/{origin_jti}") is not None

    def revoke(self, pool: Pool, token: str, now: float) -> Session | None:
        session = self.lookup(pool, token, now)
        if session is None:
            return None
        self.catalog.delete(REFRESH, f"{pool.pool_id}/{_digest(token)}")
        self._revoke_session(pool, session.origin_jti, session.sub, session.expires_at)
        return session

    def sign_out_everywhere(self, pool: Pool, username: str, now: float) -> list[str]:
        """Revoke every live session of the user; returns their origin_jti values."""
        doc = self.catalog.get(USERS, user_key(pool.pool_id, username))
        if doc is None:
            return []
        live = {k: v for k, v in doc.get("sessions", {}).items() if v > now}
        for origin_jti, expires_at in live.items():
            self._revoke_session(pool, origin_jti, doc["sub"], expires_at)
        self.catalog.update(USERS, user_key(pool.pool_id, username),
                            lambda d: None if d is None else {**d, "sessions": {}})
        return list(live)

    def _revoke_session(self, pool: Pool, origin_jti: str, sub: str, expires_at: float) -> None:
        until = expires_at + pool.max_token_seconds  # tokens minted at the refresh token's last moment
        self.catalog.put(REVOKED, f"{pool.pool_id}/{origin_jti}", {"sub": sub, "until": until})

    def revoked(self, pool: Pool, now: float) -> dict[str, float]:
        """origin_jti -> until, for the in-memory snapshot (blocking: run in a thread)."""
        out = {}
        for key, doc in self.catalog.list(REVOKED, prefix=f"{pool.pool_id}/"):
            if doc.get("until", 0) > now:
                out[key.split("/", 1)[1]] = float(doc["until"])
        return out
