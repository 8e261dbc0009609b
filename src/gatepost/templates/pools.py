"""`AWS::Cognito::UserPool`, `UserPoolClient`, `UserPoolGroup`, `UserPoolResourceServer` -> built-in pools.

Each template pool becomes a pool under `user_pools:` (idp/), named by its logical id, with the pool id
and client ids that `Ref`/`Fn::GetAtt` give the template (identities.py), so the template's authorizers
(a REST API's COGNITO_USER_POOLS by pool ARN, an HTTP API's JWT by the pool's issuer URL and client ids)
accept the tokens the built-in pool issues. Settings without a local meaning (MFA, e-mail, triggers,
domains) are listed as notes, never applied half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.idp.config import AUTH_FLOWS
from gatepost.templates import identities
from gatepost.templates.intrinsics import Resolver, of_type

POOL = "AWS::Cognito::UserPool"
CLIENT = "AWS::Cognito::UserPoolClient"
GROUP = "AWS::Cognito::UserPoolGroup"
RESOURCE_SERVER = "AWS::Cognito::UserPoolResourceServer"
TYPES = (POOL, CLIENT, GROUP, RESOURCE_SERVER)
_PASSWORD_POLICY = {"MinimumLength": "min_length", "RequireUppercase": "require_uppercase",
                    "RequireLowercase": "require_lowercase", "RequireNumbers": "require_numbers",
                    "RequireSymbols": "require_symbols",
                    "TemporaryPasswordValidityDays": "temporary_password_validity_days"}
_POOL_IGNORED = ("MfaConfiguration", "EmailConfiguration", "SmsConfiguration", "LambdaConfig", "UserPoolAddOns",
                 "VerificationMessageTemplate", "AdminCreateUserConfig", "DeviceConfiguration")


@dataclass
class Pools:
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # native user_pools
    by_arn: dict[str, str] = field(default_factory=dict)  # pool ARN -> pool name
    by_issuer: dict[str, str] = field(default_factory=dict)  # https://cognito-idp.../ID -> pool name
    notes: list[str] = field(default_factory=list)


def collect(resolver: Resolver) -> Pools:
    pools = Pools()
    ids: dict[str, str] = {}  # pool id -> pool name
    pseudo = resolver.params.pseudo
    for logical_id, props in of_type(resolver, POOL):
        pid = identities.pool_id(logical_id, pseudo)
        ids[pid] = logical_id
        pools.by_arn[identities.pool_arn(logical_id, pseudo)] = logical_id
        pools.by_issuer[f"https://cognito-idp.{pseudo.region}.{pseudo.url_suffix}/{pid}"] = logical_id
        pools.config[logical_id] = _pool(logical_id, pid, props, resolver, pools.notes)
    for logical_id, props in of_type(resolver, RESOURCE_SERVER):
        pool = _owner(props, ids, logical_id, pools.notes)
        if pool:
            scopes = [str(s.get("ScopeName")) for s in props.get("Scopes") or [] if isinstance(s, Mapping)]
            if scopes:
                pools.config[pool]["resource_servers"][logical_id] = {
                    "identifier": str(props.get("Identifier") or logical_id), "scopes": scopes}
    for logical_id, props in of_type(resolver, GROUP):
        pool = _owner(props, ids, logical_id, pools.notes)
        if pool:
            group: dict[str, Any] = {"description": str(props.get("Description", ""))}
            if props.get("Precedence") is not None:
                group["precedence"] = int(props["Precedence"])
            if props.get("RoleArn"):
                group["role_arn"] = str(props["RoleArn"])
            pools.config[pool]["groups"][str(props.get("GroupName") or logical_id)] = group
    for logical_id, props in of_type(resolver, CLIENT):
        pool = _owner(props, ids, logical_id, pools.notes)
        if pool:
            pools.config[pool]["clients"][logical_id] = _client(logical_id, props, pools.config[pool], pools.notes)
    for name, declared in pools.config.items():
        if not declared["clients"]:
            declared["clients"]["default"] = {}
            pools.notes.append(f"user pool {name}: no UserPoolClient in the template; a client `default` was added "
                               "to sign in with")
    return pools


def _owner(props: Mapping[str, Any], ids: Mapping[str, str], logical_id: str, notes: list[str]) -> str | None:
    pool = ids.get(str(props.get("UserPoolId")))
    if pool is None:
        notes.append(f"{logical_id}: its UserPoolId {props.get('UserPoolId')!r} is not a pool of this template; "
                     "ignored")
    return pool


def _pool(logical_id: str, pid: str, props: Mapping[str, Any], resolver: Resolver, notes: list[str]) -> dict[str, Any]:
    pseudo = resolver.params.pseudo
    pool: dict[str, Any] = {"pool_id": pid, "region": pseudo.region, "account_id": pseudo.account_id,
                            "clients": {}, "groups": {}, "resource_servers": {}}
    policy = ((props.get("Policies") or {}).get("PasswordPolicy") or {})
    password = {native: policy[aws] for aws, native in _PASSWORD_POLICY.items() if aws in policy}
    if password:
        pool["password_policy"] = password
    custom = [str(a.get("Name")) for a in props.get("Schema") or []
              if isinstance(a, Mapping) and a.get("Name") and str(a.get("Name")) not in _STANDARD_ATTRIBUTES]
    if custom:
        pool["custom_attributes"] = custom
    for key in _POOL_IGNORED:
        if key in props:
            notes.append(f"user pool {logical_id}: {key} is not applied by the built-in pool")
    return pool


_STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo"})


def _client(logical_id: str, props: Mapping[str, Any], pool: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    client: dict[str, Any] = {"client_id": identities.client_id(logical_id)}
    if props.get("GenerateSecret"):
        client["generate_secret"] = True
    flows = [str(f).removeprefix("ALLOW_") for f in props.get("ExplicitAuthFlows") or []]
    if flows:
        kept = [f for f in flows if f in AUTH_FLOWS]
        if len(kept) != len(flows):
            notes.append(f"client {logical_id}: auth flows {sorted(set(flows) - set(kept))} are not served by the "
                         f"built-in pool (it serves {list(AUTH_FLOWS)})")
        client["auth_flows"] = kept
    server_scopes = {f"{rs['identifier']}/{s}" for rs in pool["resource_servers"].values() for s in rs["scopes"]}
    scopes = [str(s) for s in props.get("AllowedOAuthScopes") or []]
    if "client_credentials" in (props.get("AllowedOAuthFlows") or []):
        client["oauth_flows"] = ["client_credentials"]
        client["scopes"] = [s for s in scopes if s in server_scopes]
        client.setdefault("generate_secret", True)
    elif scopes:
        client["user_scopes"] = scopes  # what the hosted UI's code flow would grant users
    return client
