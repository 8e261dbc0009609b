"""The public operations of the Cognito JSON protocol (no SigV4: the client id, a password or the user's
own tokens authenticate them). Blocking: run in a thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gatepost.idp.access import user_of_token
from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError, invalid_parameter
from gatepost.idp.signin import SignIn
from gatepost.idp.users import attribute_list

log = logging.getLogger("gatepost.idp")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def initiate_auth(core: IdpCore, params: dict[str, Any], source: str) -> dict[str, Any]:
    flow, client_id, auth = params.get("AuthFlow"), params.get("ClientId"), _dict(params.get("AuthParameters"))
    if flow == "USER_PASSWORD_AUTH":
        return SignIn(core).password(client_id, auth, source)
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return SignIn(core).refresh(client_id, auth)
    core.client(client_id)
    raise invalid_parameter(f"Unsupported auth flow {str(flow)[:40]} (supported: USER_PASSWORD_AUTH, "
                            "REFRESH_TOKEN_AUTH)", "idp.flow_not_supported")


def respond_to_auth_challenge(core: IdpCore, params: dict[str, Any], source: str) -> dict[str, Any]:
    if params.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        core.client(params.get("ClientId"))
        raise invalid_parameter("Unsupported challenge (supported: NEW_PASSWORD_REQUIRED)",
                                "idp.challenge_not_supported")
    return SignIn(core).respond_new_password(params.get("ClientId"), params.get("Session"),
                                             _dict(params.get("ChallengeResponses")))


def get_user(core: IdpCore, params: dict[str, Any], source: str) -> dict[str, Any]:
    _, user = user_of_token(core, params.get("AccessToken"))
    return {"Username": user["username"], "UserAttributes": attribute_list(user)}


def global_sign_out(core: IdpCore, params: dict[str, Any], source: str) -> dict[str, Any]:
    pool, user = user_of_token(core, params.get("AccessToken"))
    gone = core.sessions.sign_out_everywhere(pool, user["username"], core.clock.now())
    log.info("idp.global_sign_out pool=%s sessions=%d", pool.pool_id, len(gone))
    return {}


def revoke_token(core: IdpCore, params: dict[str, Any], source: str) -> dict[str, Any]:
    pool, client = core.client(params.get("ClientId"))
    token = params.get("Token")
    if not isinstance(token, str) or not token:
        raise invalid_parameter("Missing required parameter Token")
    secret = params.get("ClientSecret")
    core.check_client_secret(client, secret if isinstance(secret, str) else None)
    if token.count(".") == 2:  # a JWT: only refresh tokens can be revoked
        raise IdpError("UnsupportedTokenTypeException", "Unsupported token type. Only refresh tokens can be revoked.",
                       "idp.unsupported_token_type")
    session = core.sessions.lookup(pool, token, core.clock.now())
    if session is not None and session.client_id == client.client_id:
        core.sessions.revoke(pool, token, core.clock.now())
        log.info("idp.revoke_token pool=%s client=%s", pool.pool_id, client.client_id)
    return {}  # RFC 7009: an unknown or already revoked token is not an error


USER_OPERATIONS: dict[str, Callable[[IdpCore, dict[str, Any], str], dict[str, Any]]] = {
    "InitiateAuth": initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "GetUser": get_user,
    "GlobalSignOut": global_sign_out,
    "RevokeToken": revoke_token,
}
REVOKING = frozenset({"GlobalSignOut", "RevokeToken"})
