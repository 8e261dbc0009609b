"""For `gatepost explain`: which identity-pool roles (and so which groups, guests or members) can reach an
IAM route. Each role an identity pool may hand out is looked up in the catalog and its policies are
evaluated for `execute-api:Invoke` on the route's sample method ARN, the IAM authorizer's own question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepost.iam.model import ROLES
from gatepost.policy import Effect, PolicyDocument, PolicyError, evaluate
from gatepost.policy.context import INVOKE

if TYPE_CHECKING:
    from gatepost.config.models import GatewayConfig
    from gatepost.stores.base import Catalog


def candidate_roles(config: GatewayConfig) -> dict[str, dict[str, list[str]]]:
    """identity pool -> role ARN -> who gets it (group names, `members`, `guests`, `rule CLAIM`)."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, pool in config.identity_pools.items():
        roles: dict[str, list[str]] = {}
        if pool.roles.authenticated:
            roles.setdefault(pool.roles.authenticated, []).append("members")
        if pool.roles.unauthenticated and pool.allow_unauthenticated:
            roles.setdefault(pool.roles.unauthenticated, []).append("guests")
        for key, mapping in pool.role_mappings.items():
            for rule in mapping.rules:
                roles.setdefault(rule.role_arn, []).append(f"rule {rule.claim} {rule.match_type} {rule.value}")
            if mapping.type == "Token":
                for provider in pool.providers:
                    upool = config.user_pools.get(provider.builtin or "") if provider.builtin == key else None
                    for group, gcfg in (upool.groups.items() if upool is not None else ()):
                        if gcfg.role_arn:
                            roles.setdefault(gcfg.role_arn, []).append(f"group {group}")
        out[name] = roles
    return out


def _allows(catalog: Catalog, role_arn: str, method_arn: str) -> bool:
    fields = role_arn.split(":")
    doc = catalog.get(ROLES, f"{fields[4]}/{role_arn.rsplit('/', 1)[-1]}") if len(fields) > 5 else None
    if doc is None or doc.get("arn") != role_arn:
        return False
    try:
        policies = [PolicyDocument.parse(p) for p in (doc.get("policies") or {}).values()]
    except PolicyError:
        return False
    return evaluate(policies, INVOKE, method_arn) is Effect.ALLOW


def roles_reaching(config: GatewayConfig, catalog: Catalog, method_arn: str) -> list[str]:
    """`pool: Role (who)` for every identity-pool role whose policies allow this method ARN."""
    out = []
    for pool, roles in candidate_roles(config).items():
        for role_arn, who in roles.items():
            if _allows(catalog, role_arn, method_arn):
                out.append(f"{pool}: {role_arn.rsplit('/', 1)[-1]} ({', '.join(who)})")
    return out
