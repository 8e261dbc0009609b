"""Which role an identity gets, as Cognito chooses it, and whether that role trusts the identity pool.

Authenticated identities (docs: role-based access control):
1. `CustomRoleArn` (the enhanced flow's choice) is honoured only when the token's `cognito:roles` lists it;
2. with a `Token` mapping: `cognito:preferred_role`, else the only entry of `cognito:roles`;
3. with a `Rules` mapping: the first rule, in order, whose claim matches;
4. nothing decided: `AmbiguousRoleResolution` -> the pool's authenticated role, or Deny.
Without a mapping the pool's authenticated role is used. Guests always get the unauthenticated role.

The role must exist in the IAM catalog and its trust policy must allow `sts:AssumeRoleWithWebIdentity` for
the federated principal `cognito-identity.amazonaws.com`, evaluated with the condition keys
`cognito-identity.amazonaws.com:aud` (the identity pool id) and `...:amr` (authenticated or
unauthenticated, and the provider names), as STS evaluates it for Cognito.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gatepost.federation.errors import bad_pool_config, not_authorized
from gatepost.federation.pool import IdentityPool, RoleMapping, Rule
from gatepost.policy import Effect, PolicyDocument, PolicyError, evaluate

COGNITO_PRINCIPAL = "cognito-identity.amazonaws.com"
ASSUME = "sts:AssumeRoleWithWebIdentity"


def _claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if isinstance(value, bool) or value is None:
        return None if value is None else str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return None


def rule_matches(rule: Rule, claims: Mapping[str, Any]) -> bool:
    value = _claim(claims, rule.claim)
    if value is None:
        return False
    if rule.match_type == "Equals":
        return value == rule.value
    if rule.match_type == "NotEqual":
        return value != rule.value
    if rule.match_type == "StartsWith":
        return value.startswith(rule.value)
    return rule.value in value  # Contains


def _token_roles(claims: Mapping[str, Any]) -> list[str]:
    roles = claims.get("cognito:roles")
    if isinstance(roles, str):
        return [roles]
    if isinstance(roles, list):
        return [r for r in roles if isinstance(r, str)]
    return []


def _mapped(mapping: RoleMapping, claims: Mapping[str, Any]) -> str | None:
    if mapping.type == "Token":
        preferred = claims.get("cognito:preferred_role")
        if isinstance(preferred, str) and preferred:
            return preferred
        roles = _token_roles(claims)
        return roles[0] if len(roles) == 1 else None
    return next((r.role_arn for r in mapping.rules if rule_matches(r, claims)), None)


def choose_role(pool: IdentityPool, mapping: RoleMapping | None, claims: Mapping[str, Any] | None,
                custom_role_arn: str | None) -> str:
    if claims is None:
        if pool.unauthenticated_role is None or not pool.allow_unauthenticated:
            raise not_authorized("Unauthenticated access is not supported for this identity pool.",
                                 "federation.guests_not_allowed")
        return pool.unauthenticated_role
    if custom_role_arn is not None:
        if custom_role_arn in _token_roles(claims):
            return custom_role_arn
        raise not_authorized("The role requested is not in the token's cognito:roles.", "federation.custom_role")
    if mapping is not None:
        chosen = _mapped(mapping, claims)
        if chosen is not None:
            return chosen
        if mapping.ambiguous == "Deny":
            raise not_authorized("No role could be chosen for this identity and the pool's "
                                 "AmbiguousRoleResolution is Deny.", "federation.ambiguous_role")
    if pool.authenticated_role is None:
        raise bad_pool_config("federation.no_authenticated_role")
    return pool.authenticated_role


def _with_resource(trust: Mapping[str, Any]) -> dict[str, Any]:
    """A trust policy names no Resource (it is the role itself): read it as `"Resource": "*"`."""
    statements = trust.get("Statement")
    items = [statements] if isinstance(statements, dict) else statements
    if not isinstance(items, list):
        return dict(trust)
    fixed = [{**s, "Resource": "*"} if isinstance(s, dict) and "Resource" not in s and "NotResource" not in s
             else s for s in items]
    return {**trust, "Statement": fixed}


def check_trust(trust: Mapping[str, Any] | None, pool: IdentityPool, role_arn: str, amr: Sequence[str]) -> None:
    """Raise InvalidIdentityPoolConfigurationException unless the role's trust policy lets the pool in."""
    if not trust:
        raise bad_pool_config("federation.role_not_trusted")
    try:
        document = PolicyDocument.parse(_with_resource(trust))
    except PolicyError:
        raise bad_pool_config("federation.trust_policy_invalid") from None
    context = {f"{COGNITO_PRINCIPAL}:aud": pool.pool_id, f"{COGNITO_PRINCIPAL}:amr": list(amr),
               f"{COGNITO_PRINCIPAL}:sub": ""}
    if evaluate([document], ASSUME, role_arn, context, COGNITO_PRINCIPAL) is not Effect.ALLOW:
        raise bad_pool_config("federation.role_not_trusted")
