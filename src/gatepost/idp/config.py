"""`user_pools:` in gatepost.yaml: the pools, their app clients, resource servers, groups and policies."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from gatepost.config.base import StrictModel

AUTH_FLOWS = ("USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH")
OAUTH_FLOWS = ("client_credentials", "code")
_SCOPE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")  # RFC 6749 scope-token
_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


class PasswordPolicyConfig(StrictModel):
    """Cognito's password policy (its defaults)."""

    min_length: int = Field(8, ge=6, le=99)
    require_uppercase: bool = True
    require_lowercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True
    temporary_password_validity_days: int = Field(7, ge=0, le=365)


class LockoutConfig(StrictModel):
    """Temporary, escalating lock-out per (username, source address); never permanent (docs/user-pools.md)."""

    max_failures: int = Field(5, ge=1, le=100, description="failed sign-ins before the first lock")
    first_lock_seconds: float = Field(1, gt=0, le=3600, description="the first lock; doubles per failure after")
    max_lock_seconds: float = Field(900, gt=0, le=86_400, description="a lock never lasts longer than this")
    forget_after_seconds: float = Field(3600, gt=0, le=7 * 86_400,
                                        description="failures older than this (with no lock running) are forgotten")


class HashingConfig(StrictModel):
    """argon2id parameters (OWASP's recommendation by default: 19 MiB, 2 passes, 1 lane, ~40 ms here)."""

    time_cost: int = Field(2, ge=1, le=10)
    memory_kib: int = Field(19_456, ge=1024, le=1_048_576)
    parallelism: int = Field(1, ge=1, le=16)
    max_concurrent: int = Field(4, ge=1, le=64, description="hashes computed at once per process")


class TokenValidityConfig(StrictModel):
    """Seconds (Cognito's defaults: 1 hour for ID and access tokens, 30 days for refresh tokens)."""

    id_token: int = Field(3600, ge=300, le=86_400)
    access_token: int = Field(3600, ge=300, le=86_400)
    refresh_token: int = Field(30 * 86_400, ge=3600, le=3650 * 86_400)


class ClientConfig(StrictModel):
    """An app client. Public by default; `generate_secret: true` makes it confidential (SECRET_HASH, OAuth)."""

    client_id: str | None = Field(None, pattern=r"^[\w+]{1,128}$",
                                  description="default: derived from the pool id and the client's name")
    generate_secret: bool = False
    auth_flows: list[str] = Field(default_factory=lambda: list(AUTH_FLOWS))
    oauth_flows: list[Literal["client_credentials", "code"]] = []
    callback_urls: list[str] = Field([], description="redirect_uri values the code flow may send codes to")
    supported_identity_providers: list[str] = Field([], description="names under identity_providers: this client "
                                                                    "may sign in through (the code flow)")
    scopes: list[str] = Field([], description="resource-server scopes the client may request (client_credentials)")
    user_scopes: list[str] = Field([], description="scopes added to user access tokens, as Cognito's OAuth flows "
                                                   "or a pre-token-generation trigger would")

    @model_validator(mode="before")
    @classmethod
    def _machine_clients_sign_in_no_users(cls, data: Any) -> Any:
        """A client_credentials client gets no user sign-in flows unless it names them."""
        if isinstance(data, dict) and "client_credentials" in (data.get("oauth_flows") or []) \
                and "auth_flows" not in data:
            return {**data, "auth_flows": []}
        return data

    @field_validator("auth_flows")
    @classmethod
    def _flows(cls, v: list[str]) -> list[str]:
        out = [f.removeprefix("ALLOW_") for f in v]
        unknown = [f for f in out if f not in AUTH_FLOWS]
        if unknown:
            raise ValueError(f"auth_flows {unknown} are not supported; use {list(AUTH_FLOWS)}")
        return out

    @field_validator("scopes", "user_scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not _SCOPE.match(s)]
        if bad:
            raise ValueError(f"scopes {bad} are not valid scope tokens (no spaces or quotes)")
        return v

    @model_validator(mode="after")
    def _machine(self) -> ClientConfig:
        if "client_credentials" in self.oauth_flows and not self.generate_secret:
            raise ValueError("client_credentials needs a confidential client: set generate_secret: true")
        if "code" in self.oauth_flows and not (self.callback_urls and self.supported_identity_providers):
            raise ValueError("the code flow needs callback_urls (e.g. [https://app.example.com/callback]) and "
                             "supported_identity_providers (names under identity_providers:)")
        if "client_credentials" in self.oauth_flows and not self.scopes:
            raise ValueError("a client_credentials client needs `scopes` (resource-server scopes, e.g. payments/read)")
        return self


class GroupConfig(StrictModel):
    description: str = ""
    precedence: int | None = Field(None, ge=0, le=2_147_483_647, description="lower wins cognito:preferred_role")
    role_arn: str | None = Field(None, pattern=r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class ResourceServerConfig(StrictModel):
    identifier: str | None = Field(None, description="default: the resource server's name")
    scopes: list[str] = Field(min_length=1)


class IdentityProviderConfig(StrictModel):
    """An external OIDC provider users sign in through (Cognito's `identity_provider=` on /oauth2/authorize).

    The pool is the provider's client: it sends users there (authorization code with PKCE, state and
    nonce), takes the code back at `/_gatepost/idp/{pool_id}/oauth2/idpresponse`, verifies the ID token,
    then creates or updates the user `{name}_{sub}` and issues its own tokens."""

    type: Literal["OIDC"] = "OIDC"
    issuer: str = Field(description="the provider's issuer URL (discovery at /.well-known/openid-configuration)")
    client_id: str = Field(min_length=1, description="this pool's client id at the provider")
    client_secret: str | None = Field(None, description="this pool's client secret there, e.g. ${CORP_SECRET}")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email"])
    attribute_mapping: dict[str, str] = Field(default_factory=lambda: {"email": "email"},
                                              description="pool attribute -> provider claim, e.g. "
                                                          "{email: email, custom:tenant: tenant}")
    groups_claim: str | None = Field(None, description="provider claim listing the user's groups")
    group_mapping: dict[str, str] = Field({}, description="provider group -> pool group (needs groups_claim)")
    allow_http: bool = Field(False, description="allow a plain-http issuer that is not on loopback")


class UserPoolConfig(StrictModel):
    pool_id: str | None = Field(None, pattern=r"^[\w-]+_[0-9a-zA-Z]+$",
                                description="default: {region}_ and 9 characters derived from the pool's name")
    region: str = "us-east-1"
    account_id: str = Field("123456789012", pattern=r"^\d{12}$", description="for the pool's ARN (admin calls)")
    public_url: str | None = Field(None, description="base URL callers reach the gateway at; iss is "
                                                     "{public_url}/_gatepost/idp/{pool_id}")
    clients: dict[str, ClientConfig] = Field(min_length=1)
    groups: dict[str, GroupConfig] = {}
    resource_servers: dict[str, ResourceServerConfig] = {}
    custom_attributes: list[str] = Field([], description="names allowed as custom:NAME")
    password_policy: PasswordPolicyConfig = Field(default_factory=PasswordPolicyConfig)
    lockout: LockoutConfig = Field(default_factory=LockoutConfig)
    hashing: HashingConfig = Field(default_factory=HashingConfig)
    token_validity: TokenValidityConfig = Field(default_factory=TokenValidityConfig)
    demo_user: DemoUserConfig | None = None
    identity_providers: dict[str, IdentityProviderConfig] = {}

    @field_validator("groups")
    @classmethod
    def _group_names(cls, v: dict[str, GroupConfig]) -> dict[str, GroupConfig]:
        bad = [g for g in v if not _NAME.match(g)]
        if bad:
            raise ValueError(f"group names {bad}: use 1-128 letters, digits and + = , . @ _ -")
        return v

    @model_validator(mode="after")
    def _client_scopes(self) -> UserPoolConfig:
        known = {f"{rs.identifier or name}/{s}" for name, rs in self.resource_servers.items() for s in rs.scopes}
        for name, client in self.clients.items():
            unknown = sorted(set(client.scopes) - known)
            if unknown:
                raise ValueError(f"client {name!r}: scopes {unknown} are not resource-server scopes "
                                 f"(declared: {sorted(known) or 'none'})")
        for name, client in self.clients.items():
            unknown = sorted(set(client.supported_identity_providers) - set(self.identity_providers))
            if unknown:
                raise ValueError(f"client {name!r}: supported_identity_providers {unknown} are not under "
                                 f"identity_providers: (declared: {sorted(self.identity_providers) or 'none'})")
        for name, idp in self.identity_providers.items():
            unknown = sorted(set(idp.group_mapping.values()) - set(self.groups))
            if unknown:
                raise ValueError(f"identity provider {name!r}: group_mapping names groups {unknown} that are not "
                                 "under groups:")
            if idp.group_mapping and not idp.groups_claim:
                raise ValueError(f"identity provider {name!r}: group_mapping needs groups_claim (the claim that "
                                 "lists the user's groups at the provider)")
        if self.demo_user is not None:
            missing = [g for g in self.demo_user.groups if g not in self.groups]
            if missing:
                raise ValueError(f"demo_user: groups {missing} are not declared under groups")
        return self


class DemoUserConfig(StrictModel):
    """First start of `gatepost serve`: create this user with a random password, printed once."""

    username: str = Field(pattern=r"^[\w+=,.@-]{1,128}$")
    groups: list[str] = []
    attributes: dict[str, str] = {}


UserPoolConfig.model_rebuild()
