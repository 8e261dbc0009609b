"""Claims of the pool's tokens, in Cognito's shapes (ID, access, client_credentials access tokens).

Groups are listed by precedence (lowest first, groups without one last); `cognito:roles` lists their role
ARNs; `cognito:preferred_role` is the role of the group with the lowest precedence, and is left out when
several groups with different roles share that precedence (as Cognito does).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.idp.pool import Client, Group, Pool

USER_ADMIN_SCOPE = "aws.cognito.signin.user.admin"
BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})


@dataclass(frozen=True, slots=True)
class Sign:
    """Who is signing in: the user's identity fields the tokens need (no password, no secrets)."""

    username: str
    sub: str
    attributes: Mapping[str, str]
    groups: tuple[str, ...]


def ordered_groups(pool: Pool, names: Iterable[str]) -> list[Group]:
    known = [pool.groups[n] for n in names if n in pool.groups]
    return sorted(known, key=lambda g: (g.precedence is None, g.precedence or 0, g.name))


def role_claims(groups: list[Group]) -> dict[str, Any]:
    with_roles = [g for g in groups if g.role_arn]
    if not with_roles:
        return {}
    roles = list(dict.fromkeys(g.role_arn for g in with_roles if g.role_arn))
    best = with_roles[0].precedence
    tied = {g.role_arn for g in with_roles if g.precedence == best}
    out: dict[str, Any] = {"cognito:roles": roles}
    if len(tied) == 1:
        out["cognito:preferred_role"] = with_roles[0].role_arn
    return out


def _attribute_claims(attributes: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        if name == "sub":
            continue
        out[name] = value.lower() == "true" if name in BOOLEAN_ATTRIBUTES else value
    return out


def id_claims(pool: Pool, client: Client, who: Sign, *, now: int, auth_time: int, origin_jti: str,
              event_id: str, validity: int) -> dict[str, Any]:
    groups = ordered_groups(pool, who.groups)
    claims: dict[str, Any] = {"sub": who.sub}
    if groups:
        claims["cognito:groups"] = [g.name for g in groups]
    claims.update({"iss": pool.issuer, "cognito:username": who.username, "origin_jti": origin_jti,
                   **role_claims(groups), "aud": client.client_id, "event_id": event_id, "token_use": "id",
                   "auth_time": auth_time, "exp": now + validity, "iat": now, "jti": str(uuid.uuid4())})
    claims.update(_attribute_claims(who.attributes))
    return claims


def user_scope(client: Client) -> str:
    return " ".join(dict.fromkeys((USER_ADMIN_SCOPE, *client.user_scopes)))


def access_claims(pool: Pool, client: Client, who: Sign, *, now: int, auth_time: int, origin_jti: str,
                  event_id: str, validity: int) -> dict[str, Any]:
    groups = ordered_groups(pool, who.groups)
    claims: dict[str, Any] = {"sub": who.sub}
    if groups:
        claims["cognito:groups"] = [g.name for g in groups]
    claims.update({"iss": pool.issuer, "client_id": client.client_id, "origin_jti": origin_jti,
                   "event_id": event_id, "token_use": "access", "scope": user_scope(client),
                   "auth_time": auth_time, "exp": now + validity, "iat": now, "jti": str(uuid.uuid4()),
                   "username": who.username})
    return claims


def machine_claims(pool: Pool, client: Client, scopes: list[str], *, now: int, validity: int) -> dict[str, Any]:
    return {"sub": client.client_id, "token_use": "access", "scope": " ".join(scopes), "auth_time": now,
            "iss": pool.issuer, "exp": now + validity, "iat": now, "version": 2, "jti": str(uuid.uuid4()),
            "client_id": client.client_id}
