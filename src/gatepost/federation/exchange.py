"""The identity pool's operations (Cognito's `cognito-identity` API): GetId, GetCredentialsForIdentity
(enhanced flow, with CustomRoleArn) and GetOpenIdToken.

Every login token is verified before anything else happens (provider configured, signature, expiry,
audience; for a built-in pool: an ID token of an enabled user whose session was not revoked), so a guess
costs nothing but a signature check. Credentials are a role session issued by the IAM catalog
(iam/admin.py `assume_role`), valid `credentials_seconds`, recorded with the identity they belong to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatepost.authorizers.jwt_verify import TokenError
from gatepost.federation.errors import bad_pool_config, invalid_parameter, not_authorized, not_found
from gatepost.federation.identities import Identities
from gatepost.federation.pool import IdentityPool, Provider
from gatepost.federation.roles import check_trust, choose_role
from gatepost.federation.signer import OpenIdSigner
from gatepost.iam.admin import IamAdmin, IamAdminError
from gatepost.iam.directory import IamDirectory
from gatepost.idp.registry import UserPools

if TYPE_CHECKING:
    from gatepost.config.models import GatewayConfig
    from gatepost.services import Services

log = logging.getLogger("gatepost.federation")
EXTRAS_KEY = "federation.identity_pools"
SESSION_NAME = "CognitoIdentityCredentials"
MAX_LOGINS = 10


@dataclass(frozen=True, slots=True)
class Login:
    provider: Provider
    sub: str
    claims: Mapping[str, Any]
    audience: str | None


def _audience(claims: Mapping[str, Any], accepted: frozenset[str]) -> str | None:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return next((a for a in values if isinstance(a, str) and a in accepted), None)


def _auth_provider(login: Login) -> str:
    kind = "CognitoSignIn" if login.provider.builtin_pool else "OpenIdConnect"
    return f"{login.provider.name},{login.provider.name}:{kind}:{login.sub}"


def _amr(logins: list[Login]) -> list[str]:
    if not logins:
        return ["unauthenticated"]
    out = ["authenticated"]
    for login in logins:
        kind = "CognitoSignIn" if login.provider.builtin_pool else "OpenIdConnect"
        out += [login.provider.name, f"{login.provider.name}:{kind}:{login.sub}"]
    return out


class IdentityPools:
    """The config's identity pools in one process (`services.extras`), with the stores they write."""

    def __init__(self, pools: Mapping[str, IdentityPool], services: Services) -> None:
        self.pools = dict(pools)
        self.by_id = {p.pool_id: p for p in pools.values()}
        self.services = services
        self.clock = services.clock
        self.identities = Identities(services.catalog)
        self.signer = OpenIdSigner(services.catalog, services.config_dir)
        self._admin: IamAdmin | None = None

    @classmethod
    def install(cls, config: GatewayConfig, services: Services) -> IdentityPools | None:
        """Compile `identity_pools:` (ValueError with the place and the fix) into `services.extras`."""
        if not config.identity_pools:
            return None
        from gatepost.federation.pool import compile_pool

        pools = {name: compile_pool(name, cfg, services, config) for name, cfg in config.identity_pools.items()}
        ids: dict[str, str] = {}
        for pool in pools.values():
            if pool.pool_id in ids:
                raise ValueError(f"identity pools {ids[pool.pool_id]!r} and {pool.name!r} have the same id")
            ids[pool.pool_id] = pool.name
        found = services.extras[EXTRAS_KEY] = cls(pools, services)
        return found

    @classmethod
    def of(cls, services: Services) -> IdentityPools | None:
        found = services.extras.get(EXTRAS_KEY)
        return found if isinstance(found, IdentityPools) else None

    @property
    def admin(self) -> IamAdmin:
        if self._admin is None:
            self._admin = IamAdmin.open(self.services.catalog, self.services.config_dir)
        return self._admin

    def pool(self, pool_id: Any) -> IdentityPool:
        found = self.by_id.get(pool_id) if isinstance(pool_id, str) else None
        if found is None:
            raise not_found(f"IdentityPool '{str(pool_id)[:64]}' not found.", "federation.unknown_pool")
        return found

    # ---- logins --------------------------------------------------------------------------------------------

    async def verify_logins(self, pool: IdentityPool, raw: Any) -> list[Login]:
        if raw is None:
            return []
        if not isinstance(raw, dict) or len(raw) > MAX_LOGINS or \
                not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise invalid_parameter("Logins must map provider names to tokens (at most 10).")
        return [await self._verify(pool, name, token) for name, token in raw.items()]

    async def _verify(self, pool: IdentityPool, name: str, token: str) -> Login:
        provider = pool.providers.get(name)
        if provider is None:
            raise not_authorized("Token is not from a supported provider of this identity pool.",
                                 "federation.unknown_provider")
        try:
            verified, _ = await provider.verifier.verify(token)
        except TokenError as err:
            message = "Invalid login token. Token expired." if err.code == "expired" else "Invalid login token."
            raise not_authorized(message, f"federation.token_{err.code}") from None
        claims = verified.claims
        audience = _audience(claims, provider.audiences)
        if audience is None:
            raise not_authorized("Invalid login token. Incorrect audience.", "federation.audience")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise not_authorized("Invalid login token.", "federation.no_subject")
        if provider.builtin_pool is not None:
            await self._check_builtin_user(provider.builtin_pool, claims)
        return Login(provider, sub, claims, audience)

    async def _check_builtin_user(self, pool_name: str, claims: Mapping[str, Any]) -> None:
        if claims.get("token_use") != "id":
            raise not_authorized("Invalid login token. Not an id token.", "federation.not_id_token")
        pools = UserPools.of(self.services)
        upool = pools.pool(pool_name) if pools is not None else None
        if pools is None or upool is None:
            raise not_authorized("Invalid login token.", "federation.unknown_provider")
        await pools.start()
        if pools.revocations.is_revoked(upool.pool_id, claims):
            raise not_authorized("Invalid login token. Token has been revoked.", "federation.token_revoked")
        username = claims.get("cognito:username")
        user = await asyncio.to_thread(pools.core.users.get, upool, username) if isinstance(username, str) else None
        if user is None or not user.get("enabled", True):
            raise not_authorized("Invalid login token. User is disabled.", "federation.user_disabled")

    # ---- operations ----------------------------------------------------------------------------------------

    async def get_id(self, params: Mapping[str, Any]) -> dict[str, Any]:
        pool = self.pool(params.get("IdentityPoolId"))
        logins = await self.verify_logins(pool, params.get("Logins"))
        now = self.clock.now()
        if not logins:
            if not pool.allow_unauthenticated:
                raise not_authorized("Unauthenticated access is not supported for this identity pool.",
                                     "federation.guests_not_allowed")
            identity_id = await asyncio.to_thread(self.identities.guest, pool.pool_id, pool.region, now)
        else:
            identity_id = await self._link(pool, logins, now)
        log.info("federation.get_id pool=%s authenticated=%s", pool.pool_id, bool(logins))
        return {"IdentityId": identity_id}

    async def _link(self, pool: IdentityPool, logins: list[Login], now: float, identity_id: str | None = None) -> str:
        subs = {login.provider.name: login.sub for login in logins}
        try:
            return await asyncio.to_thread(self.identities.for_logins, pool.pool_id, pool.region, subs, now,
                                           identity_id)
        except LookupError:
            raise not_authorized("Logins belong to different identities.", "federation.logins_conflict") from None

    async def _identity(self, params: Mapping[str, Any]) -> tuple[IdentityPool, str, list[Login]]:
        identity_id = params.get("IdentityId")
        doc = await asyncio.to_thread(self.identities.get, identity_id) if isinstance(identity_id, str) else None
        if doc is None or not isinstance(identity_id, str):
            raise not_found(f"Identity '{str(identity_id)[:64]}' not found.", "federation.unknown_identity")
        pool = self.pool(doc.get("identity_pool_id"))
        logins = await self.verify_logins(pool, params.get("Logins"))
        linked: Mapping[str, str] = doc.get("logins") or {}
        if linked and not logins:
            raise not_authorized("Logins don't match. Please include at least one valid login for this identity "
                                 "or identity pool.", "federation.logins_missing")
        if any(linked.get(login.provider.name, login.sub) != login.sub for login in logins):
            raise not_authorized("Logins don't match. Please include at least one valid login for this identity "
                                 "or identity pool.", "federation.logins_mismatch")
        if logins and any(login.provider.name not in linked for login in logins):  # a guest signs in, or a new link
            await self._link(pool, logins, self.clock.now(), identity_id)
        return pool, identity_id, logins

    async def get_credentials(self, params: Mapping[str, Any]) -> dict[str, Any]:
        custom = params.get("CustomRoleArn")
        if custom is not None and not isinstance(custom, str):
            raise invalid_parameter("CustomRoleArn must be a role ARN.")
        pool, identity_id, logins = await self._identity(params)
        first = logins[0] if logins else None
        mapping = first.provider.mapping_for(first.audience) if first is not None else None
        role_arn = choose_role(pool, mapping, first.claims if first is not None else None, custom)
        amr = _amr(logins)
        cognito = {"identity_pool_id": pool.pool_id, "identity_id": identity_id, "amr": amr,
                   "authentication_type": "authenticated" if logins else "unauthenticated",
                   "authentication_provider": _auth_provider(first) if first is not None else None}
        issued = await asyncio.to_thread(self._assume, pool, role_arn, amr, cognito)
        await IamDirectory.shared(self.services).reload()  # usable here at once; other workers within a second
        log.info("federation.credentials pool=%s role=%s authenticated=%s", pool.pool_id, role_arn, bool(logins))
        return {"IdentityId": identity_id, "Credentials": {
            "AccessKeyId": issued.access_key_id, "SecretKey": issued.secret_access_key,
            "SessionToken": issued.session_token, "Expiration": issued.expires_at}}

    def _assume(self, pool: IdentityPool, role_arn: str, amr: list[str], cognito: dict[str, Any]) -> Any:
        account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
        role = self.admin.role(name, account)
        if role is None or role.get("arn") != role_arn:
            raise bad_pool_config("federation.role_missing")
        check_trust(role.get("trust_policy"), pool, role_arn, amr)
        duration = min(pool.credentials_seconds, int(role.get("max_session_seconds", 3600)))
        try:
            return self.admin.assume_role(name, account, SESSION_NAME, now=self.clock.now(),
                                          duration_seconds=duration, cognito=cognito)
        except IamAdminError:
            raise bad_pool_config("federation.assume_failed") from None

    async def get_open_id_token(self, params: Mapping[str, Any], issuer: str) -> dict[str, Any]:
        pool, identity_id, logins = await self._identity(params)
        if not logins and not pool.allow_unauthenticated:
            raise not_authorized("Unauthenticated access is not supported for this identity pool.",
                                 "federation.guests_not_allowed")
        token = await asyncio.to_thread(self.signer.sign, issuer, pool.pool_id, identity_id, _amr(logins),
                                        self.clock.now())
        return {"IdentityId": identity_id, "Token": token}
