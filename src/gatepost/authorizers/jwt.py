"""jwt: any OIDC issuer (HTTP API's JWT authorizer). Not built yet: routes fail closed."""

from __future__ import annotations

from typing import Literal

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.pending import PendingAuthorizer
from gatepost.authorizers.registry_types import kind
from gatepost.config.base import StrictModel


class JwtIssuerConfig(StrictModel):
    issuer: str
    audiences: list[str] = []
    jwks_uri: str | None = None


class JwtAuthorizerConfig(StrictModel):
    type: Literal["jwt"]
    issuer: str | None = None
    audiences: list[str] = []
    jwks_uri: str | None = None
    issuers: list[JwtIssuerConfig] = []
    identity_source: str = "header.authorization"


class JwtAuthorizer(PendingAuthorizer):
    kind = "jwt"
    supports_scopes = True
    supports_groups = True


def build(name: str, config: JwtAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    return JwtAuthorizer(name, ctx.api)


KIND = kind("jwt", JwtAuthorizerConfig, build)
