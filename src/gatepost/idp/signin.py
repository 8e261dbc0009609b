"""The sign-in flows: USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH and the NEW_PASSWORD_REQUIRED challenge.

Order matters for what a stranger can learn: the client and its SECRET_HASH are checked first (they do
not depend on the user), then the lock-out of (username, source address), then one argon2 verification
whether or not the user exists. Unknown user and wrong password get the same answer
(`NotAuthorizedException: Incorrect username or password.`), count towards the same lock-out, and cost
the same work. Only a caller who knows the password learns more (disabled, must change password).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson

from gatepost.iam.crypto import SecretError
from gatepost.idp.core import IdpCore
from gatepost.idp.errors import IdpError, invalid_parameter, not_authorized
from gatepost.idp.lockout import ATTEMPTS, Attempts, attempts_key
from gatepost.idp.passwords import check_policy
from gatepost.idp.pool import Client, Pool
from gatepost.idp.users import FORCE_CHANGE_PASSWORD, check_attributes
from gatepost.stores.base import Doc

log = logging.getLogger("gatepost.idp")
CHALLENGE_SECONDS = 180  # Cognito's default authentication session validity (3 minutes)
LOCKED = "Password attempts exceeded"


def _param(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"Missing required parameter {name}")
    return value


def _allowed(client: Client, flow: str) -> None:
    if flow not in client.auth_flows:
        raise invalid_parameter(f"{flow} flow not enabled for this client", "idp.flow_not_enabled")


class SignIn:
    def __init__(self, core: IdpCore) -> None:
        self.core = core

    # ---- USER_PASSWORD_AUTH -------------------------------------------------------------------------------

    def password(self, client_id: Any, params: dict[str, Any], source: str) -> dict[str, Any]:
        pool, client = self.core.client(client_id)
        _allowed(client, "USER_PASSWORD_AUTH")
        username, password = _param(params, "USERNAME"), _param(params, "PASSWORD")
        self.core.check_secret_hash(client, username, params.get("SECRET_HASH"))
        user = self._check_password(pool, username, password, source)
        if not user.get("enabled", True):
            raise not_authorized("idp.user_disabled", "User is disabled.")
        if user["status"] == FORCE_CHANGE_PASSWORD:
            return self._new_password_challenge(pool, client, user)
        log.info("idp.sign_in pool=%s client=%s flow=USER_PASSWORD_AUTH", pool.pool_id, client.client_id)
        result = self.core.mint(pool, client, user, origin_jti=str(uuid.uuid4()), auth_time=int(self.core.clock.now()),
                                with_refresh="REFRESH_TOKEN_AUTH" in client.auth_flows)
        return {"AuthenticationResult": result, "ChallengeParameters": {}}

    def _check_password(self, pool: Pool, username: str, password: str, source: str) -> Doc:
        now = self.core.clock.now()
        catalog, key = self.core.catalog, attempts_key(pool.pool_id, username, source)
        if Attempts.of(catalog.get(ATTEMPTS, key)).locked(now):
            log.info("idp.sign_in_refused pool=%s reason=idp.locked", pool.pool_id)
            raise not_authorized("idp.locked", LOCKED)
        user = self.core.users.get(pool, username)
        stored = user.get("password") if user is not None else None
        if not self.core.passwords[pool.pool_id].verify_or_burn(stored, password) or user is None:
            cfg = pool.config.lockout
            catalog.update(ATTEMPTS, key, lambda d: Attempts.of(d).after_failure(now, cfg).as_doc())
            log.info("idp.sign_in_refused pool=%s reason=idp.bad_credentials", pool.pool_id)
            raise not_authorized("idp.bad_credentials")
        catalog.delete(ATTEMPTS, key)
        return user

    # ---- NEW_PASSWORD_REQUIRED ----------------------------------------------------------------------------

    def _new_password_challenge(self, pool: Pool, client: Client, user: Doc) -> dict[str, Any]:
        now = self.core.clock.now()
        days = pool.config.password_policy.temporary_password_validity_days
        if days and now >= float(user.get("password_set_at", 0)) + days * 86_400:
            raise not_authorized("idp.temporary_password_expired",
                                 "Temporary password has expired and must be reset by an administrator.")
        session = {"pool": pool.pool_id, "client": client.client_id, "user": user["username"],
                   "exp": now + CHALLENGE_SECONDS}
        sealed = self.core.box.seal(orjson.dumps(session).decode(), "idp-challenge")
        attributes = {k: v for k, v in user.get("attributes", {}).items() if k not in ("email_verified",)}
        return {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": sealed,
                "ChallengeParameters": {"USER_ID_FOR_SRP": user["username"], "requiredAttributes": "[]",
                                        "userAttributes": orjson.dumps(attributes).decode()}}

    def respond_new_password(self, client_id: Any, session: Any, responses: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.core.client(client_id)
        state = self._open_session(session)
        username, new_password = _param(responses, "USERNAME"), _param(responses, "NEW_PASSWORD")
        if state.get("pool") != pool.pool_id or state.get("client") != client.client_id \
                or str(state.get("user", "")).lower() != username.lower():
            raise not_authorized("idp.bad_session", "Invalid session for the user.")
        self.core.check_secret_hash(client, username, responses.get("SECRET_HASH"))
        check_policy(new_password, pool.config.password_policy)
        extra = {k.removeprefix("userAttributes."): v for k, v in responses.items() if k.startswith("userAttributes.")}
        check_attributes(pool, extra)
        user = self.core.require_user(pool, username)
        if user["status"] != FORCE_CHANGE_PASSWORD:
            raise not_authorized("idp.bad_session", "Invalid session for the user.")
        now = self.core.clock.now()
        self.core.users.set_password(pool, username, new_password, permanent=True, now=now)
        user = self.core.users.update_attributes(pool, username, extra, now=now)
        log.info("idp.sign_in pool=%s client=%s flow=NEW_PASSWORD_REQUIRED", pool.pool_id, client.client_id)
        result = self.core.mint(pool, client, user, origin_jti=str(uuid.uuid4()), auth_time=int(now),
                                with_refresh="REFRESH_TOKEN_AUTH" in client.auth_flows)
        return {"AuthenticationResult": result, "ChallengeParameters": {}}

    def _open_session(self, session: Any) -> dict[str, Any]:
        if not isinstance(session, str) or not session or len(session) > 4096:
            raise invalid_parameter("Missing required parameter Session")
        try:
            state = orjson.loads(self.core.box.unseal(session, "idp-challenge"))
        except (SecretError, orjson.JSONDecodeError):
            raise not_authorized("idp.bad_session", "Invalid session for the user.") from None
        if not isinstance(state, dict) or self.core.clock.now() >= float(state.get("exp", 0)):
            raise not_authorized("idp.session_expired", "Invalid session for the user, session is expired.")
        return state

    # ---- REFRESH_TOKEN_AUTH -------------------------------------------------------------------------------

    def refresh(self, client_id: Any, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.core.client(client_id)
        _allowed(client, "REFRESH_TOKEN_AUTH")
        token = _param(params, "REFRESH_TOKEN")
        now = self.core.clock.now()
        session = self.core.sessions.lookup(pool, token, now)
        if session is None or session.client_id != client.client_id:
            raise not_authorized("idp.bad_refresh_token", "Invalid Refresh Token")
        user = self.core.users.get(pool, session.username)
        if user is None or user["sub"] != session.sub:
            raise not_authorized("idp.bad_refresh_token", "Invalid Refresh Token")
        if client.confidential:
            given = params.get("SECRET_HASH")
            try:
                self.core.check_secret_hash(client, user["username"], given)
            except IdpError:
                self.core.check_secret_hash(client, user["sub"], given)
        if not user.get("enabled", True):
            raise not_authorized("idp.user_disabled", "User is disabled.")
        log.info("idp.sign_in pool=%s client=%s flow=REFRESH_TOKEN_AUTH", pool.pool_id, client.client_id)
        result = self.core.mint(pool, client, user, origin_jti=session.origin_jti, auth_time=session.auth_time,
                                with_refresh=False)
        return {"AuthenticationResult": result, "ChallengeParameters": {}}
