"""user_pool: Cognito user pool semantics (REST's COGNITO_USER_POOLS; reference section 2).

On `rest` APIs, as AWS: a route without scopes accepts ID tokens only (`token_use: id`); a route with
scopes needs an access token carrying any of them; anything else is 401 `{"message":"Unauthorized"}`,
an expired token 401 `{"message":"The incoming token has expired"}`, and keys that were never fetched
(or ran past last-known-good) 500 AUTHORIZER_CONFIGURATION_ERROR. `app_clients` (a Gatepost extension)
pins ID tokens' `aud` / access tokens' `client_id`.

AWS has no user-pool authorizer on HTTP APIs; on `http` APIs this kind follows the HTTP JWT rules
(jwt.py) with Cognito's claims: `app_clients` is the audience list (matched on `aud`, else `client_id`),
both token uses are accepted, scope mismatch is 403, every failure 401 with `www-authenticate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.identity_source import parse_token_source
from gatepost.authorizers.jwks import check_url, source_for
from gatepost.authorizers.jwt_claims import audience_matches
from gatepost.authorizers.jwt_verify import TokenError
from gatepost.authorizers.registry_types import kind
from gatepost.authorizers.token_authorizer import TokenAuthorizer, bearer_challenge
from gatepost.authorizers.token_config import TokenAuthorizerFields, check_algorithms
from gatepost.authorizers.token_verifier import TokenVerifier, TrustedIssuer, Verified
from gatepost.decision import Decision
from gatepost.errors import GatewayError, ResponseType

if TYPE_CHECKING:
    from gatepost.idp.authorizer import Revoked
    from gatepost.matching import MatchedRoute

EXPIRED_MESSAGE = "The incoming token has expired"


class UserPoolAuthorizerConfig(TokenAuthorizerFields):
    type: Literal["user_pool"]
    issuer: str | None = None
    pool_id: str | None = Field(None, pattern=r"^[\w-]+_[0-9a-zA-Z]+$")
    region: str | None = None
    jwks_uri: str | None = None
    app_clients: list[str] = []
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    builtin: str | None = None  # a pool under `user_pools:` (idp/): keys read in process
    check_revocation: bool = False  # builtin only: refuse tokens of revoked / signed-out sessions (beyond AWS)

    def check_issuer(self) -> None:
        if (bool(self.issuer) + bool(self.pool_id) + bool(self.builtin)) != 1:
            raise ValueError("give exactly one of `pool_id` (a Cognito pool, e.g. us-east-1_AbC123), `issuer`, or "
                             "`builtin` (a pool under user_pools:)")
        if self.check_revocation and not self.builtin:
            raise ValueError("check_revocation needs `builtin`: only the built-in pool's revocations are known here")

    def issuer_url(self, api_region: str) -> str:
        self.check_issuer()
        if self.issuer:
            return self.issuer
        assert self.pool_id is not None
        region = self.region or self.pool_id.split("_", 1)[0] or api_region
        return f"https://cognito-idp.{region}.amazonaws.com/{self.pool_id}"


class UserPoolAuthorizer(TokenAuthorizer):
    kind = "user_pool"

    def __init__(self, *args: Any, app_clients: frozenset[str], revoked: Revoked | None = None,
                 builtin: str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.app_clients = app_clients
        self.rest = self.api.flavour == "rest"
        self.revoked = revoked
        self.builtin = builtin  # "NAME (pool id)" of a built-in pool, for describe()
        self.uses_catalog = builtin is not None  # its keys, users and revocations live in the catalog

    def check_token(self, verified: Verified, route: MatchedRoute) -> None:
        if self.revoked is not None and self.revoked(verified.claims):
            raise TokenError("revoked", "the token has been revoked")
        if self.rest:
            self._check_rest(verified, route)
            return
        claims = verified.claims
        if claims.get("token_use") not in ("id", "access"):
            raise TokenError("wrong_token_use", "the token is not a user pool ID or access token")
        if not audience_matches(claims, self.app_clients):
            raise TokenError("bad_audience", "the token does not have a valid audience")

    def _check_rest(self, verified: Verified, route: MatchedRoute) -> None:
        claims = verified.claims
        want = "access" if route.scopes else "id"
        if claims.get("token_use") != want:
            raise TokenError("wrong_token_use", f"the route needs an {'access' if route.scopes else 'ID'} token")
        client = claims.get("client_id") if want == "access" else claims.get("aud")
        if self.app_clients and not (isinstance(client, str) and client in self.app_clients):
            raise TokenError("bad_audience", "the token does not have a valid audience")
        if route.scopes and verified.scope_set.isdisjoint(route.scopes):
            raise TokenError("scope_mismatch", "the token does not have a required scope")  # 401 on REST (AWS)

    def check_scopes(self, verified: Verified, route: MatchedRoute) -> Decision | None:
        return None if self.rest else super().check_scopes(verified, route)

    def no_keys_is_error(self) -> bool:
        return self.rest

    def token_error(self, exc: TokenError) -> GatewayError:
        reason = f"user_pool.{exc.code}"
        if not self.rest:
            headers = ({"www-authenticate": "Bearer"} if exc.code == "missing_token"
                       else bearer_challenge("invalid_token", exc.description))
            return GatewayError(ResponseType.UNAUTHORIZED, reason, headers=headers)
        if exc.code == "no_keys":
            return GatewayError(ResponseType.AUTHORIZER_CONFIGURATION_ERROR, reason)
        if exc.code == "expired":
            return GatewayError(ResponseType.UNAUTHORIZED, reason, EXPIRED_MESSAGE)
        return GatewayError(ResponseType.UNAUTHORIZED, reason)

    def describe(self) -> dict[str, Any]:
        if self.builtin:
            return builtin_facts(self.builtin, str(self.token_source), self.revoked is not None)
        issuer = next(iter(self.verifier.issuers))
        return {"kind": "user_pool", "identity_source": str(self.token_source), "owner": f"the user pool {issuer}",
                "cost": "signature check per new token; cached until exp", "coupling": "Cognito-shaped tokens",
                "propagates": "claims, scopes"}


def builtin_facts(label: str, token_source: str, check_revocation: bool) -> dict[str, str]:
    """explain's facts for a `builtin:` authorizer (explain/facts.py keeps its default in step)."""
    cost = "in-process keys, no fetch; signature check per new token, cached until exp"
    return {"kind": "user_pool", "identity_source": token_source, "owner": f"this gateway's built-in pool {label}",
            "cost": cost + ("; revoked-session lookup" if check_revocation else ""),
            "coupling": "one built-in pool (Cognito-shaped tokens)",
            "propagates": "claims (incl. cognito:groups, cognito:roles), scopes"}


def build(name: str, config: UserPoolAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    if config.builtin:
        return _build_builtin(name, config, ctx)
    settings = config.jwks.settings()
    issuer = check_url(config.issuer_url(ctx.api.region), settings.allow_http, "issuer")
    if config.jwks_uri:
        check_url(config.jwks_uri, settings.allow_http, "jwks_uri")
    if ctx.api.flavour == "http" and not config.app_clients:
        raise ValueError("on an http API a user_pool authorizer follows the JWT rules and needs `app_clients` "
                         "(the audiences: your app client ids)")
    services = ctx.services
    source = source_for(services.extras, issuer, config.jwks_uri, settings, ctx.clock, services.http_client)
    trusted = {issuer: TrustedIssuer(issuer, frozenset(config.app_clients), source)}
    verifier = TokenVerifier(trusted, check_algorithms(config.algorithms), ctx.clock, leeway=config.leeway,
                             max_token_bytes=config.max_token_bytes, groups_claim=config.groups_claim,
                             cache_size=config.token_cache_size)
    return UserPoolAuthorizer(name, ctx.api, parse_token_source(config.identity_source), verifier,
                              app_clients=frozenset(config.app_clients))


def _build_builtin(name: str, config: UserPoolAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    """`builtin: NAME`: the built-in pool's issuer and keys, in process (idp/authorizer.py)."""
    from gatepost.idp.authorizer import builtin_issuer, drop_revoked_from

    config.check_issuer()  # exactly one issuer setting; check_revocation only with builtin
    assert config.builtin is not None
    pool = builtin_issuer(config.builtin, config.check_revocation, ctx.services)
    clients = frozenset(config.app_clients) or (pool.app_clients if ctx.api.flavour == "http" else frozenset())
    trusted = {pool.issuer: TrustedIssuer(pool.issuer, clients, pool.source)}
    verifier = TokenVerifier(trusted, check_algorithms(config.algorithms), ctx.clock, leeway=config.leeway,
                             max_token_bytes=config.max_token_bytes, groups_claim=config.groups_claim,
                             cache_size=config.token_cache_size)
    drop_revoked_from(verifier.cache, pool)
    found = pool.pools.pool(config.builtin)
    label = f"{config.builtin} ({found.pool_id})" if found is not None else config.builtin
    return UserPoolAuthorizer(name, ctx.api, parse_token_source(config.identity_source), verifier,
                              app_clients=clients, revoked=pool.revoked, builtin=label)


KIND = kind("user_pool", UserPoolAuthorizerConfig, build,
            needs="one of builtin: POOL (under user_pools:), pool_id: us-east-1_AbC123 (Cognito) or issuer: URL",
            example="{type: user_pool, builtin: mobile}")
