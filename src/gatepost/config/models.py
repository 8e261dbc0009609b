"""The native config, as written in gatepost.yaml. Documented in docs/configuration.md.

Models are strict (unknown keys are errors) and frozen. Authorizer and integration models come from
their own modules through the registries, so a new kind never edits this file.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, field_validator, model_validator

from gatepost.admin.config import AdminConfig
from gatepost.authorizers.registry import KINDS as AUTHORIZER_KINDS
from gatepost.config.base import StrictModel
from gatepost.config.throttle import ThrottleConfig as ThrottleConfig
from gatepost.federation.config import IdentityPoolConfig
from gatepost.idp.config import UserPoolConfig
from gatepost.integrations.registry import KINDS as INTEGRATION_KINDS
from gatepost.request_validation import RequestValidationConfig
from gatepost.tracing.config import TracingConfig
from gatepost.usage.config import UsagePlanConfig, UsageSettings, check_plan_references
from gatepost.waf.config import WebAclConfig


def _expand_integration_shorthand(value: Any) -> Any:
    """`{http: URL}` -> `{type: http, url: URL}`; `{mock: {...}}` -> `{type: mock, ...}`."""
    if isinstance(value, dict) and "type" not in value and len(value) == 1:
        (name, arg), = value.items()
        kind = INTEGRATION_KINDS.get(name)
        if kind is not None:
            return {"type": name, **arg} if isinstance(arg, dict) else {"type": name, kind.shorthand: arg}
    return value


if TYPE_CHECKING:
    AuthorizerConfig = Any
    IntegrationConfig = Any
else:
    AuthorizerConfig = Annotated[
        Union[tuple(k.model for k in AUTHORIZER_KINDS.values())],  # noqa: UP007
        Field(discriminator="type"),
    ]
    IntegrationConfig = Annotated[
        Union[tuple(k.model for k in INTEGRATION_KINDS.values())],  # noqa: UP007
        Field(discriminator="type"),
        BeforeValidator(_expand_integration_shorthand),
    ]


class RouteConfig(StrictModel):
    route: str = Field(description='"METHOD /path/{param}", "ANY /{proxy+}" or "$default" (http APIs)')
    authorizer: str | None = None
    public: bool = False
    scopes: list[str] | None = None
    groups: list[str] | None = None
    groups_match: Literal["any", "all"] = "any"
    api_key_required: bool = False
    integration: IntegrationConfig | None = None
    throttle: ThrottleConfig | None = None
    request_validation: RequestValidationConfig | None = None  # request_validation.py (AWS request validators)


class CorsConfig(StrictModel):
    allow_origins: list[str] = Field(min_length=1)
    allow_methods: list[str] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    allow_headers: list[str] = ["authorization", "content-type", "x-api-key", "x-amz-date",
                                "x-amz-security-token", "x-amz-content-sha256"]
    expose_headers: list[str] = []
    max_age: int | None = Field(None, ge=0, le=86400)
    allow_credentials: bool = False


class GatewayResponseConfig(StrictModel):
    """Like x-amazon-apigateway-gateway-responses: status, headers and a body template."""

    status: int | None = Field(None, ge=100, le=599)
    headers: dict[str, str] = {}
    body: str | None = None


class ApiConfig(StrictModel):
    flavour: Literal["rest", "http"] = "rest"
    api_id: str | None = None
    stage: str | None = None
    stage_variables: dict[str, str] = {}
    region: str = "us-east-1"
    account_id: str = Field("123456789012", pattern=r"^\d{12}$")
    base_path: str = "/"
    hosts: list[str] = []
    authorizers: dict[str, AuthorizerConfig] = {}
    routes: list[RouteConfig] = Field(min_length=1)
    integration: IntegrationConfig | None = None
    cors: CorsConfig | None = None
    gateway_responses: dict[str, GatewayResponseConfig] = {}
    api_key_source: Literal["HEADER", "AUTHORIZER"] = "HEADER"
    resource_policy: dict[str, Any] | None = None
    throttle: ThrottleConfig | None = None
    binary_media_types: list[str] = []  # REST's binaryMediaTypes ("image/png", "image/*", "*/*")
    # what `gatepost import --accept-partial` could not convert ("JSON pointer: reason"); no effect on
    # requests: `explain` lists it under the API's routes
    not_imported: list[str] = []
    web_acl: str | None = None  # a name under web_acls: (docs/web-acls.md)

    @model_validator(mode="after")
    def _binary_rest_only(self) -> ApiConfig:
        if self.binary_media_types and self.flavour != "rest":
            raise ValueError("binary_media_types applies to rest APIs only (HTTP APIs base64 every body that is "
                             "not text, by its content type); remove it")
        return self

    @field_validator("base_path")
    @classmethod
    def _base_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("base_path must start with '/', e.g. /v1")
        return "/" + v.strip("/") if v.strip("/") else "/"


class TlsConfig(StrictModel):
    cert: str
    key: str


class ServerConfig(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=0)
    max_header_bytes: int = Field(10_240, ge=1024)
    trusted_proxies: list[str] = []
    tls: TlsConfig | None = None
    propagation_prefix: str = "X-Gatepost-"
    access_log: str = "stdout"  # stdout | stderr | off | a file path
    shutdown_timeout: float = Field(10.0, ge=0)
    # slow and greedy clients (docs/security.md, "Limits and deadlines"); server/limits.py compiles them
    max_header_fields: int = Field(100, ge=1)
    head_timeout: float = Field(10.0, gt=0)
    idle_timeout: float = Field(30.0, gt=0)
    max_connections: int = Field(1024, ge=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            ipaddress.ip_network(net, strict=False)
        return v

    @field_validator("propagation_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c == "-" for c in v):
            raise ValueError("propagation_prefix must be letters, digits and '-', e.g. X-Gatepost-")
        return v


class StateConfig(StrictModel):
    catalog: str = "sqlite:///.gatepost/gatepost.db"
    # catalog unreachable: seconds the snapshots each worker holds keep authorizing (docs/operations.md)
    catalog_max_stale: float = Field(300.0, gt=0, le=86_400)
    cache: str = "memory://"
    counters: str = "memory://"


class SidecarConfig(StrictModel):
    """A helper process the gateway starts first and stops last (demo upstreams, a local issuer)."""

    name: str
    command: list[str] = Field(min_length=1)
    env: dict[str, str] = {}
    cwd: str | None = None
    ready_url: str | None = None
    ready_timeout: float = 20.0


class GatewayConfig(StrictModel):
    server: ServerConfig = Field(default_factory=ServerConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    sidecars: list[SidecarConfig] = []
    apis: dict[str, ApiConfig] = Field(min_length=1)
    usage_plans: dict[str, UsagePlanConfig] = {}  # usage/config.py
    usage: UsageSettings = Field(default_factory=UsageSettings)
    user_pools: dict[str, UserPoolConfig] = {}  # idp/config.py: the built-in user pools
    admin: AdminConfig = Field(default_factory=AdminConfig)  # admin/config.py: the admin port (off by default)
    identity_pools: dict[str, IdentityPoolConfig] = {}  # federation/config.py: token -> role credentials
    federation_public_url: str | None = Field(None, description="base URL callers reach the gateway at, for the "
                                                                "issuer of GetOpenIdToken's tokens")
    web_acls: dict[str, WebAclConfig] = {}  # waf/config.py: AWS WAF Web ACLs that APIs attach by name
    tracing: TracingConfig | None = None  # tracing/config.py: W3C Trace Context and OpenTelemetry (off when absent)

    @model_validator(mode="after")
    def _unique_api_ids(self) -> GatewayConfig:
        return self

    @model_validator(mode="after")
    def _usage_plan_references(self) -> GatewayConfig:
        check_plan_references(self.usage_plans, self.apis, self.usage)
        return self
