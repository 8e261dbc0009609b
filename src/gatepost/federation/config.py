"""`identity_pools:` in gatepost.yaml: Cognito identity pools that exchange tokens for role credentials.

    identity_pools:
      app_ids:
        allow_unauthenticated: true          # guests get the unauthenticated role (default false)
        providers:
          - builtin: mobile                  # a built-in user pool (Logins key: see pool.py)
          - issuer: https://login.example.com
            client_ids: [my-app]             # the token's aud must be one of these
        roles:
          authenticated: arn:aws:iam::123456789012:role/AppUser
          unauthenticated: arn:aws:iam::123456789012:role/AppGuest
        role_mappings:
          mobile:                            # a provider, by its builtin name or its Logins key
            type: Token                      # Token | Rules
            ambiguous_role_resolution: AuthenticatedRole   # or Deny
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from gatepost.config.base import StrictModel

ROLE_ARN = r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$"
_POOL_ID = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ProviderConfig(StrictModel):
    """One identity provider whose tokens the pool accepts: a built-in user pool or an OIDC issuer."""

    builtin: str | None = Field(None, description="the name of a pool under user_pools:")
    issuer: str | None = Field(None, description="an OIDC issuer URL (discovery at /.well-known/openid-configuration)")
    name: str | None = Field(None, description="the Logins key; default cognito-idp.{region}.amazonaws.com/{pool "
                                               "id} for a built-in pool, the issuer without its scheme otherwise")
    client_ids: list[str] = Field([], description="accepted `aud` values; for a built-in pool, default: its clients")
    jwks_uri: str | None = None
    allow_http: bool = Field(False, description="allow a plain-http issuer that is not on loopback")

    @model_validator(mode="after")
    def _one_kind(self) -> ProviderConfig:
        if (self.builtin is None) == (self.issuer is None):
            raise ValueError("a provider names exactly one of `builtin: POOL_NAME` or `issuer: URL`, "
                             "e.g. {builtin: mobile} or {issuer: https://login.example.com, client_ids: [app]}")
        if self.issuer is not None and not self.client_ids:
            raise ValueError(f"provider {self.issuer}: `client_ids` must list the audiences to accept")
        return self


class RuleConfig(StrictModel):
    """A claim -> role rule (Cognito's MappingRule)."""

    claim: str = Field(min_length=1)
    match_type: Literal["Equals", "Contains", "StartsWith", "NotEqual"]
    value: str
    role_arn: str = Field(pattern=ROLE_ARN)


class RoleMappingConfig(StrictModel):
    type: Literal["Token", "Rules"]
    ambiguous_role_resolution: Literal["AuthenticatedRole", "Deny"] = "AuthenticatedRole"
    rules: list[RuleConfig] = Field([], max_length=25)

    @model_validator(mode="after")
    def _rules(self) -> RoleMappingConfig:
        if self.type == "Rules" and not self.rules:
            raise ValueError("type: Rules needs `rules:` (claim, match_type, value, role_arn), at most 25")
        if self.type == "Token" and self.rules:
            raise ValueError("`rules:` belong to type: Rules; type: Token takes the role from the token")
        return self


class PoolRolesConfig(StrictModel):
    authenticated: str | None = Field(None, pattern=ROLE_ARN)
    unauthenticated: str | None = Field(None, pattern=ROLE_ARN)


class IdentityPoolConfig(StrictModel):
    identity_pool_id: str | None = Field(None, description="{region}:{uuid}; default derived from the name")
    region: str = "us-east-1"
    account_id: str = Field("123456789012", pattern=r"^\d{12}$")
    allow_unauthenticated: bool = False
    credentials_seconds: int = Field(3600, ge=900, le=43_200, description="lifetime of issued credentials")
    providers: list[ProviderConfig] = []
    roles: PoolRolesConfig = Field(default_factory=PoolRolesConfig)
    role_mappings: dict[str, RoleMappingConfig] = {}

    @model_validator(mode="after")
    def _consistent(self) -> IdentityPoolConfig:
        if self.identity_pool_id is not None and not _POOL_ID.match(self.identity_pool_id):
            raise ValueError(f"identity_pool_id {self.identity_pool_id!r}: use {{region}}:{{uuid}}, "
                             "e.g. us-east-1:4f9a1c7e-0b2d-4e51-9c3a-7d8e6f5a4b3c")
        if self.allow_unauthenticated and self.roles.unauthenticated is None:
            raise ValueError("allow_unauthenticated: true needs roles.unauthenticated (the guests' role ARN)")
        if not self.providers and not self.allow_unauthenticated:
            raise ValueError("an identity pool needs `providers:` or allow_unauthenticated: true")
        return self
