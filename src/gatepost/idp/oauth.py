"""The OAuth 2.0 token endpoint (RFC 6749 section 3.2, Cognito's `/oauth2/token`):
`client_credentials` for machine clients (resource-server scopes), `refresh_token`, and
`authorization_code` for codes from sign-in through an external provider (hosted.py, PKCE).

Client authentication: HTTP Basic (`client_secret_basic`) or `client_id`/`client_secret` in the form
(`client_secret_post`); the secret is compared in constant time. Errors are RFC 6749's JSON
(`{"error": "invalid_client"}`), never saying more than the RFC's code.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError
from gatepost.idp.hosted import redeem
from gatepost.idp.pool import Client, Pool
from gatepost.idp.tokens import machine_claims

log = logging.getLogger("gatepost.idp")


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400, reason: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.reason = reason or f"idp.oauth.{error}"


def form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request") from None
    out: dict[str, str] = {}
    for k, v in pairs:
        if k in out:
            raise OAuthError("invalid_request")  # RFC 6749 section 3.2: parameters must not repeat
        out[k] = v
    return out


def client_auth(authorization: str | None, params: dict[str, str]) -> tuple[str, str | None]:
    if authorization and authorization[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", 401) from None
        client_id, sep, secret = raw.partition(":")
        if not sep:
            raise OAuthError("invalid_client", 401)
        return unquote_plus(client_id), unquote_plus(secret)
    client_id = params.get("client_id") or ""
    if not client_id:
        raise OAuthError("invalid_client", 401)
    return client_id, params.get("client_secret")


class TokenEndpoint:
    def __init__(self, core: IdpCore) -> None:
        self.core = core

    def grant(self, pool_id: str, authorization: str | None, body: bytes) -> dict[str, Any]:
        params = form(body)
        client_id, secret = client_auth(authorization, params)
        found = self.core.by_client.get(client_id)
        if found is None or found[0].pool_id != pool_id:
            raise OAuthError("invalid_client", 401)
        pool, client = found
        try:
            self.core.check_client_secret(client, secret)
        except IdpError:
            raise OAuthError("invalid_client", 401) from None
        grant = params.get("grant_type")
        if grant == "client_credentials":
            return self._client_credentials(pool, client, params.get("scope"))
        if grant == "refresh_token":
            return self._refresh(pool, client, params.get("refresh_token"))
        if grant == "authorization_code":
            return self._code(pool, client, params)
        raise OAuthError("unsupported_grant_type")

    def _client_credentials(self, pool: Pool, client: Client, scope: str | None) -> dict[str, Any]:
        if "client_credentials" not in client.oauth_flows:
            raise OAuthError("unauthorized_client")
        wanted = scope.split() if scope else list(client.scopes)
        if not wanted or any(s not in client.scopes for s in wanted):
            raise OAuthError("invalid_scope")
        validity = pool.config.token_validity.access_token
        claims = machine_claims(pool, client, list(dict.fromkeys(wanted)), now=int(self.core.clock.now()),
                                validity=validity)
        log.info("idp.token pool=%s client=%s grant=client_credentials", pool.pool_id, client.client_id)
        return {"access_token": self.core.sign(pool, claims), "expires_in": validity, "token_type": "Bearer"}

    def _code(self, pool: Pool, client: Client, params: dict[str, str]) -> dict[str, Any]:
        """A code from hosted.py's flow: single use, same client and redirect_uri, PKCE verifier (RFC 7636)."""
        if "code" not in client.oauth_flows:
            raise OAuthError("unauthorized_client")
        user = redeem(self.core, pool, client, params)
        if user is None:
            raise OAuthError("invalid_grant")
        result = self.core.mint(pool, client, user, origin_jti=str(uuid.uuid4()),
                                auth_time=int(self.core.clock.now()), with_refresh=True)
        log.info("idp.token pool=%s client=%s grant=authorization_code", pool.pool_id, client.client_id)
        return {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                "refresh_token": result["RefreshToken"], "expires_in": result["ExpiresIn"], "token_type": "Bearer"}

    def _refresh(self, pool: Pool, client: Client, token: str | None) -> dict[str, Any]:
        if "REFRESH_TOKEN_AUTH" not in client.auth_flows:
            raise OAuthError("unauthorized_client")
        session = self.core.sessions.lookup(pool, token or "", self.core.clock.now())
        user = self.core.users.get(pool, session.username) if session is not None else None
        if session is None or session.client_id != client.client_id or user is None or user["sub"] != session.sub \
                or not user.get("enabled", True):
            raise OAuthError("invalid_grant")
        result = self.core.mint(pool, client, user, origin_jti=session.origin_jti, auth_time=session.auth_time,
                                with_refresh=False)
        log.info("idp.token pool=%s client=%s grant=refresh_token", pool.pool_id, client.client_id)
        return {"id_token": result["IdToken"], "access_token": result["AccessToken"],
                "expires_in": result["ExpiresIn"], "token_type": "Bearer"}
