"""jwt: any OIDC issuer, with AWS's JWT authorizer rules (reference section 3).

One or more trusted issuers, each with its audiences; keys from `{issuer}/.well-known/openid-configuration`
or an explicit `jwks_uri`. `iss` exact; `aud` any-of, `client_id` consulted only when `aud` is absent;
optional required claims; route scopes any-of (`scope`/`scp`) -> 403; route groups -> 403. Every token
failure -> 401 `{"message":"Unauthorized"}` with `www-authenticate: Bearer ... error="invalid_token"`.
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
from gatepost.config.base import StrictModel
from gatepost.errors import GatewayError, ResponseType

if TYPE_CHECKING:
    from gatepost.matching import MatchedRoute


class JwtIssuerConfig(StrictModel):
    issuer: str
    audiences: list[str] = []
    jwks_uri: str | None = None


class JwtAuthorizerConfig(TokenAuthorizerFields):
    type: Literal["jwt"]
    issuer: str | None = None
    audiences: list[str] = []
    jwks_uri: str | None = None
    issuers: list[JwtIssuerConfig] = []
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "RS384", "RS512"])
    required_claims: dict[str, str | list[str]] = {}

    def issuer_configs(self) -> list[JwtIssuerConfig]:
        if self.issuer and self.issuers:
            raise ValueError("give either `issuer` (with `audiences`) or `issuers: [...]`, not both")
        if self.issuer:
            return [JwtIssuerConfig(issuer=self.issuer, audiences=self.audiences, jwks_uri=self.jwks_uri)]
        if not self.issuers:
            raise ValueError("a jwt authorizer needs `issuer` and `audiences` (or a list under `issuers`)")
        if self.audiences or self.jwks_uri:
            raise ValueError("with `issuers: [...]`, put `audiences` and `jwks_uri` inside each issuer")
        return list(self.issuers)


class JwtAuthorizer(TokenAuthorizer):
    kind = "jwt"

    def __init__(self, *args: Any, required_claims: dict[str, frozenset[str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.required_claims = required_claims

    def check_token(self, verified: Verified, route: MatchedRoute) -> None:
        claims = verified.claims
        if not audience_matches(claims, verified.issuer.audiences):
            raise TokenError("bad_audience", "the token does not have a valid audience")
        for name, allowed in self.required_claims.items():
            if not _claim_matches(claims.get(name), allowed):
                raise TokenError("claim_mismatch", "the token does not have a required claim")

    def token_error(self, exc: TokenError) -> GatewayError:
        headers = ({"www-authenticate": "Bearer"} if exc.code == "missing_token"
                   else bearer_challenge("invalid_token", exc.description))
        return GatewayError(ResponseType.UNAUTHORIZED, f"jwt.{exc.code}", headers=headers)

    def describe(self) -> dict[str, Any]:
        issuers = ", ".join(t.issuer for t in self.verifier.issuers.values())
        return {"kind": "jwt", "identity_source": str(self.token_source), "owner": f"the issuer(s): {issuers}",
                "cost": "signature check per new token; cached until exp", "coupling": "any OIDC issuer",
                "propagates": "claims, scopes"}


def _claim_matches(value: Any, allowed: frozenset[str]) -> bool:
    if isinstance(value, list):
        return any(isinstance(v, str) and v in allowed for v in value)
    if isinstance(value, bool):
        return ("true" if value else "false") in allowed
    return value is not None and not isinstance(value, dict) and str(value) in allowed


def build(name: str, config: JwtAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    settings = config.jwks.settings()
    services = ctx.services
    trusted = {}
    for ic in config.issuer_configs():
        if not ic.audiences:
            raise ValueError(f"issuer {ic.issuer!r} needs at least one audience (AWS requires one), "
                             "e.g. audiences: [api.example.com]")
        check_url(ic.issuer, settings.allow_http, "issuer")
        if ic.jwks_uri:
            check_url(ic.jwks_uri, settings.allow_http, "jwks_uri")
        source = source_for(services.extras, ic.issuer, ic.jwks_uri, settings, ctx.clock, services.http_client)
        trusted[ic.issuer] = TrustedIssuer(ic.issuer, frozenset(ic.audiences), source)
    verifier = TokenVerifier(trusted, check_algorithms(config.algorithms), ctx.clock, leeway=config.leeway,
                             max_token_bytes=config.max_token_bytes, groups_claim=config.groups_claim,
                             cache_size=config.token_cache_size)
    required = {k: frozenset([v] if isinstance(v, str) else v) for k, v in config.required_claims.items()}
    return JwtAuthorizer(name, ctx.api, parse_token_source(config.identity_source), verifier,
                         required_claims=required)


KIND = kind("jwt", JwtAuthorizerConfig, build, needs="issuer: URL and audiences: [...] (or issuers: [...])",
            example='{type: jwt, issuer: "https://auth.example.com/", audiences: [api.example.com]}')
