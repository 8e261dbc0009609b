"""Tokens the probe mints with a built-in pool's own key (pool_keys.py), shaped like the pool's real ones
(idp/tokens.py: `iss`, `kid`, `token_use`, `aud` / `client_id`, the route's scopes and groups) so that each
attempt has exactly one reason to be refused:

- `expired`: expired an hour ago (beyond any allowed leeway); also sent to Lambda authorizer routes, whose
  custom code often reads the pool's tokens itself;
- `revoked`: valid for one minute, but of a session the pool has revoked (sent only to routes with
  `check_revocation: true`, which must refuse it; other routes of the pool would accept it).

The user (`gatepost-probe`) does not exist in the pool; the tokens are never printed.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from gatepost.explain.pool_keys import PoolKey
from gatepost.gateway import Route
from gatepost.idp.jws import sign_rs256
from gatepost.idp.pool import Client, Pool
from gatepost.idp.tokens import Sign, access_claims, id_claims

PROBE_USER = "gatepost-probe"
EXPIRED_AGO = 3600  # seconds: exp this long before now (the leeway allows at most 300)
REVOKED_LIFETIME = 60  # seconds: how long a revoked-session token would be valid elsewhere
SKEW = 30  # seconds: a revoked-session token's iat lies this far back (a gateway clock slightly behind)


def pick_client(pool: Pool, app_clients: list[str]) -> Client:
    """One of the clients the authorizer accepts: its first `app_clients` entry of the pool, else the pool's
    first user client (USER_PASSWORD_AUTH), else its first client."""
    for client_id in app_clients:
        if client_id in pool.clients:
            return pool.clients[client_id]
    clients = list(pool.clients.values())
    return next((c for c in clients if "USER_PASSWORD_AUTH" in c.auth_flows), clients[0])


def claims_for_route(key: PoolKey, route: Route, app_clients: list[str], *, iat: int, validity: int,
                     origin_jti: str | None = None, access: bool = False) -> dict[str, Any]:
    """An access token carrying the route's scopes when it names some (or `access`), else an ID token (REST's
    rule: a route without scopes takes ID tokens)."""
    pool = key.pool
    client = dataclasses.replace(pick_client(pool, app_clients), user_scopes=tuple(route.scopes or ()))
    who = Sign(PROBE_USER, str(uuid.uuid5(uuid.NAMESPACE_URL, pool.issuer + "#" + PROBE_USER)), {},
               tuple(route.groups or ()))
    shape = access_claims if route.scopes or access else id_claims
    return shape(pool, client, who, now=iat, auth_time=iat, origin_jti=origin_jti or str(uuid.uuid4()),
                 event_id=str(uuid.uuid4()), validity=validity)


def expired_token(key: PoolKey, route: Route, app_clients: list[str], now: float, *, access: bool = False) -> str:
    lifetimes = key.pool.config.token_validity
    validity = lifetimes.access_token if route.scopes or access else lifetimes.id_token
    iat = int(now) - EXPIRED_AGO - validity
    claims = claims_for_route(key, route, app_clients, iat=iat, validity=validity, access=access)
    return sign_rs256(claims, key.signer, key.kid)


def revoked_token(key: PoolKey, route: Route, app_clients: list[str], now: float) -> str | None:
    """None when the pool has no revoked session to imitate."""
    if key.revoked_origin_jti is None:
        return None
    claims = claims_for_route(key, route, app_clients, iat=int(now) - SKEW, validity=SKEW + REVOKED_LIFETIME,
                              origin_jti=key.revoked_origin_jti)
    return sign_rs256(claims, key.signer, key.kid)
