"""An identity pool as the running gateway sees it: compiled once from `identity_pools:` into frozen values.

Providers are keyed by their Logins name, as Cognito keys them: a built-in user pool by
`cognito-idp.{region}.amazonaws.com/{pool id}` (so an app's Amplify/SDK code works unchanged), an OIDC
issuer by its URL without the scheme (`login.example.com/realm`). Each provider's tokens are checked by
the same TokenVerifier as the `jwt` and `user_pool` authorizers (allow-listed algorithms, trusted issuer,
JWKS cache with rotation and last-known-good, times), then by audience.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gatepost.authorizers.jwks import JwksSettings, source_for
from gatepost.authorizers.token_verifier import TokenVerifier, TrustedIssuer
from gatepost.federation.config import IdentityPoolConfig, ProviderConfig, RoleMappingConfig

if TYPE_CHECKING:
    from gatepost.config.models import GatewayConfig
    from gatepost.services import Services

ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"})
COGNITO_IDP = "cognito-idp.{region}.amazonaws.com/{pool_id}"


def derived_pool_id(region: str, name: str) -> str:
    """Stable across catalogs and instances: `{region}:` + a UUID derived from the pool's name."""
    digest = hashlib.sha256(f"identity-pool/{name}".encode()).digest()
    return f"{region}:{uuid.UUID(bytes=digest[:16], version=4)}"


@dataclass(frozen=True, slots=True)
class Rule:
    claim: str
    match_type: str
    value: str
    role_arn: str


@dataclass(frozen=True, slots=True)
class RoleMapping:
    type: str  # Token | Rules
    ambiguous: str  # AuthenticatedRole | Deny
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Provider:
    name: str  # the Logins key
    issuer: str
    audiences: frozenset[str]
    verifier: TokenVerifier
    builtin_pool: str | None  # the user pool's name when it is a built-in pool (disabled users are refused)
    mapping: RoleMapping | None  # keyed by the provider (its builtin name or Logins key)
    client_mappings: Mapping[str, RoleMapping]  # keyed `{Logins key}:{client id}`, as Cognito allows

    def mapping_for(self, audience: str | None) -> RoleMapping | None:
        found = self.client_mappings.get(audience) if audience is not None else None
        return found if found is not None else self.mapping


@dataclass(frozen=True, slots=True, eq=False)
class IdentityPool:
    name: str
    pool_id: str
    region: str
    account_id: str
    allow_unauthenticated: bool
    credentials_seconds: int
    authenticated_role: str | None
    unauthenticated_role: str | None
    providers: Mapping[str, Provider]  # by Logins key

    @property
    def arn(self) -> str:
        return f"arn:aws:cognito-identity:{self.region}:{self.account_id}:identitypool/{self.pool_id}"


def _mapping(cfg: RoleMappingConfig | None) -> RoleMapping | None:
    if cfg is None:
        return None
    rules = tuple(Rule(r.claim, r.match_type, r.value, r.role_arn) for r in cfg.rules)
    return RoleMapping(cfg.type, cfg.ambiguous_role_resolution, rules)


def _provider(pool_name: str, cfg: ProviderConfig, mappings: Mapping[str, RoleMappingConfig],
              services: Services, config: GatewayConfig) -> Provider:
    clock = services.clock
    if cfg.builtin is not None:
        from gatepost.idp.key_source import BuiltinKeySource
        from gatepost.idp.registry import UserPools

        pools = UserPools.of(services)
        upool = pools.pool(cfg.builtin) if pools is not None else None
        if pools is None or upool is None:
            raise ValueError(f"identity pool {pool_name!r}: builtin: there is no user pool {cfg.builtin!r} under "
                             f"user_pools: (declared: {', '.join(sorted(config.user_pools)) or 'none'})")
        name = cfg.name or COGNITO_IDP.format(region=upool.region, pool_id=upool.pool_id)
        issuer = upool.issuer
        audiences = frozenset(cfg.client_ids or upool.clients)
        trusted = TrustedIssuer(issuer, audiences, BuiltinKeySource(pools, upool))
        mapping = mappings.get(cfg.builtin) or mappings.get(name)
    else:
        assert cfg.issuer is not None
        issuer = cfg.issuer
        name = cfg.name or issuer.split("://", 1)[-1].rstrip("/")
        audiences = frozenset(cfg.client_ids)
        settings = JwksSettings(3600, 3600, 30, 1.5, 150_000, cfg.allow_http)
        source = source_for(services.extras, issuer, cfg.jwks_uri, settings, clock, services.http_client)
        trusted = TrustedIssuer(issuer, audiences, source)
        mapping = mappings.get(name)
    verifier = TokenVerifier({issuer: trusted}, ALGORITHMS, clock, max_token_bytes=10_240, cache_size=1000)
    per_client = {key.removeprefix(name + ":"): m for key, cfg_m in mappings.items()
                  if key.startswith(name + ":") and (m := _mapping(cfg_m)) is not None}
    return Provider(name, issuer, audiences, verifier, cfg.builtin, _mapping(mapping), per_client)


def compile_pool(name: str, cfg: IdentityPoolConfig, services: Services, config: GatewayConfig) -> IdentityPool:
    providers: dict[str, Provider] = {}
    for pcfg in cfg.providers:
        provider = _provider(name, pcfg, cfg.role_mappings, services, config)
        if provider.name in providers:
            raise ValueError(f"identity pool {name!r}: provider {provider.name!r} is listed twice")
        providers[provider.name] = provider
    known = set(providers) | {p.builtin for p in cfg.providers if p.builtin}
    unknown = sorted(k for k in cfg.role_mappings if k not in known and k.rsplit(":", 1)[0] not in providers)
    if unknown:
        raise ValueError(f"identity pool {name!r}: role_mappings name unknown providers {unknown} "
                         f"(providers: {sorted(known)})")
    return IdentityPool(name, cfg.identity_pool_id or derived_pool_id(cfg.region, name), cfg.region,
                        cfg.account_id, cfg.allow_unauthenticated, cfg.credentials_seconds,
                        cfg.roles.authenticated, cfg.roles.unauthenticated, providers)
