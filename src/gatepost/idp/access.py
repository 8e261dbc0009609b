"""Calls a user authenticates with their own access token (GetUser, GlobalSignOut), as Cognito does: the
token must be this gateway's pool's, correctly signed, unexpired, an access token with the
`aws.cognito.signin.user.admin` scope, and its session not revoked."""

from __future__ import annotations

from typing import Any

from gatepost.authorizers.jwt_verify import TokenError, check_header, check_times, parse, verify_signature
from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError, invalid_parameter, not_authorized
from gatepost.idp.pool import Pool
from gatepost.idp.tokens import USER_ADMIN_SCOPE
from gatepost.stores.base import Doc

_INVALID = "Invalid Access Token"


def _refuse(reason: str, message: str = _INVALID) -> IdpError:
    return not_authorized(f"idp.{reason}", message)


def verify_access_token(core: IdpCore, token: Any) -> tuple[Pool, dict[str, Any]]:
    if not isinstance(token, str) or not token:
        raise invalid_parameter("Missing required parameter AccessToken")
    if len(token) > 8192:
        raise _refuse("bad_access_token")
    try:
        jws = parse(token)
        _, kid = check_header(jws.header, frozenset({"RS256"}))
        pool = core.by_issuer.get(jws.claims.get("iss", ""))
        ring = core.rings.get(pool.pool_id) if pool is not None else None
        entry = ring.public(kid, core.clock.now()) if ring is not None else None
        if pool is None or entry is None:
            raise _refuse("bad_access_token")
        verify_signature("RS256", entry.key, jws)
        check_times(jws.claims, core.clock.now(), 0)
    except TokenError as exc:
        if exc.code == "expired":
            raise _refuse("access_token_expired", "Access Token has expired") from None
        raise _refuse("bad_access_token") from None
    claims = jws.claims
    if claims.get("token_use") != "access" or USER_ADMIN_SCOPE not in str(claims.get("scope", "")).split():
        raise _refuse("bad_access_token")
    return pool, claims


def user_of_token(core: IdpCore, token: Any) -> tuple[Pool, Doc]:
    pool, claims = verify_access_token(core, token)
    origin = claims.get("origin_jti")
    if isinstance(origin, str) and core.sessions.is_revoked(pool, origin):
        raise _refuse("access_token_revoked", "Access Token has been revoked")
    user = core.users.get(pool, str(claims.get("username", "")))
    if user is None or user["sub"] != claims.get("sub"):
        raise _refuse("bad_access_token", "User does not exist.")
    if not user.get("enabled", True):
        raise _refuse("user_disabled", "User is disabled.")
    return pool, user
