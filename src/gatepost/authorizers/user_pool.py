"""user_pool: Cognito user pool semantics (REST's COGNITO_USER_POOLS). Not built yet: routes fail closed."""

from __future__ import annotations

from typing import Literal

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.pending import PendingAuthorizer
from gatepost.authorizers.registry_types import kind
from gatepost.config.base import StrictModel


class UserPoolAuthorizerConfig(StrictModel):
    type: Literal["user_pool"]
    issuer: str | None = None
    pool_id: str | None = None
    jwks_uri: str | None = None
    app_clients: list[str] = []
    identity_source: str = "header.authorization"


class UserPoolAuthorizer(PendingAuthorizer):
    kind = "user_pool"
    supports_scopes = True
    supports_groups = True


def build(name: str, config: UserPoolAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    return UserPoolAuthorizer(name, ctx.api)


KIND = kind("user_pool", UserPoolAuthorizerConfig, build)
