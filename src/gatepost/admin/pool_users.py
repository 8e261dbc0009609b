"""Users of the built-in user pools (`gatepost users ...` and /admin/users): create, list, groups, passwords,
and a password sign-in (AdminInitiateAuth: the tokens, or the challenge the user must answer first).

`pool` (a body or query parameter) names the pool; without it, the only pool. Passwords are accepted,
never returned, except a temporary password AdminCreateUser generated, in that answer only.
"""

from __future__ import annotations

import time
from typing import Any

from gatepost.admin.operation import (
    ANY_OBJECT,
    BOOL,
    STRING,
    TAGS,
    Operation,
    Params,
    items,
    nullable,
    obj,
    view,
)
from gatepost.admin.pools import with_pool
from gatepost.idp.core import IdpCore, secret_hash
from gatepost.idp.passwords import generate_password
from gatepost.idp.pool import Client, Pool
from gatepost.idp.signin import SignIn

USER = view(["username", "sub", "status", "enabled", "groups"], username=STRING, sub=STRING, status=STRING,
            enabled=BOOL, groups={"type": "array", "items": STRING}, attributes=TAGS)
POOL = {"type": "string", "minLength": 1, "maxLength": 128}
USERNAME = {"type": "string", "minLength": 1, "maxLength": 128}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 256}


def row(doc: dict[str, Any]) -> dict[str, Any]:
    return {"username": doc["username"], "sub": doc["sub"], "status": doc["status"],
            "enabled": doc.get("enabled", True), "groups": doc.get("groups", []),
            "attributes": doc.get("attributes", {})}


@with_pool
def create(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    given, now = p.get("password"), time.time()
    attributes = p.get("attributes") or {}
    if given is not None and not p.get("temporary"):
        doc = core.users.create(pool, p["username"], attributes, now=now, password=given)
        generated = None
    else:
        generated = None if given is not None else generate_password(pool.config.password_policy)
        doc = core.users.create(pool, p["username"], attributes, now=now, temporary_password=given or generated)
    for group in p.get("groups") or []:
        doc = core.users.add_to_group(pool, p["username"], group, now=now)
    return {"pool": pool.name, "user": row(doc), "temporary_password": generated}


@with_pool
def list_users(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    users = sorted(core.users.all(pool), key=lambda d: str(d["username"]).lower())
    return {"items": [row(d) for d in users]}


@with_pool
def add_to_group(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    return row(core.users.add_to_group(pool, p["username"], p["group"], now=time.time()))


@with_pool
def remove_from_group(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    return row(core.users.remove_from_group(pool, p["username"], p["group"], now=time.time()))


@with_pool
def set_password(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    return row(core.users.set_password(pool, p["username"], p["password"], permanent=not p.get("temporary"),
                                       now=time.time()))


def app_client(pool: Pool, name: str | None) -> Client:
    """The client named (its name under clients: or its id), else the pool's first."""
    if name is None:
        return next(iter(pool.clients.values()))
    found = pool.find_client(name)
    if found is None:
        raise ValueError(f"no client {name!r} in pool {pool.name} (clients: "
                         f"{', '.join(c.name for c in pool.clients.values())})")
    return found


@with_pool
def initiate_auth(core: IdpCore, pool: Pool, p: Params) -> dict[str, Any]:
    """USER_PASSWORD_AUTH as the pool's Cognito endpoint answers it; the secret hash of a confidential
    client is computed here (the caller is an administrator, not the app)."""
    client = app_client(pool, p.get("client"))
    core.ensure()
    core.load_keys()
    core.load_secrets()
    params = {"USERNAME": p["username"], "PASSWORD": p["password"]}
    if client.confidential and client.client_id in core.secrets:
        params["SECRET_HASH"] = secret_hash(core.secrets[client.client_id], p["username"], client.client_id)
    return SignIn(core).password(client.client_id, params, source="admin")


_REFUSALS = (400, 404)

OPERATIONS = [
    Operation("AdminCreateUser", "POST", "/admin/users", "create a pool user: with `password` (permanent unless "
              "`temporary`), or a generated temporary password, in this answer only", create,
              view(["pool", "user"], pool=STRING, user=USER, temporary_password=nullable(STRING)), status=201,
              body=obj(["username"], pool=POOL, username=USERNAME, password=PASSWORD, temporary=BOOL,
                       attributes=TAGS, groups={"type": "array", "items": STRING, "maxItems": 100}),
              refusals=(400, 404, 409)),
    Operation("ListUserPoolUsers", "GET", "/admin/users", "a pool's users (never passwords)", list_users,
              items(USER), query={"pool": POOL}, refusals=_REFUSALS),
    Operation("AdminAddUserToGroup", "POST", "/admin/users/{username}/groups", "add a user to a declared group",
              add_to_group, USER, body=obj(["group"], pool=POOL, group=STRING), refusals=_REFUSALS),
    Operation("AdminRemoveUserFromGroup", "DELETE", "/admin/users/{username}/groups/{group}", "remove a user from "
              "a group (tokens already issued keep it until they expire)", remove_from_group, USER,
              query={"pool": POOL}, refusals=_REFUSALS),
    Operation("AdminSetUserPassword", "PUT", "/admin/users/{username}/password", "set a user's password "
              "(permanent unless `temporary`)", set_password, USER,
              body=obj(["password"], pool=POOL, password=PASSWORD, temporary=BOOL), refusals=_REFUSALS),
    Operation("AdminInitiateAuth", "POST", "/admin/users/{username}/sign-in", "sign a user in with their password "
              "(USER_PASSWORD_AUTH): Cognito's AuthenticationResult, or the challenge to answer first",
              initiate_auth, view([], AuthenticationResult=ANY_OBJECT, ChallengeName=STRING, Session=STRING,
                                  ChallengeParameters=ANY_OBJECT),
              body=obj(["password"], pool=POOL, password=PASSWORD, client=STRING), refusals=_REFUSALS),
]
