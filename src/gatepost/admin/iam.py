"""IAM principals and credentials (`gatepost iam ...` and /admin/iam/...): users, roles, their inline and
trust policies, access keys and role sessions. A secret access key (and session token) is in the answer of
CreateAccessKey, RotateAccessKey and AssumeRole only; lists never show one. `account` defaults to the
account of the config's first API."""

from __future__ import annotations

import time
from typing import Any

from gatepost.admin.operation import (
    BOOL,
    INT,
    NUMBER,
    STRING,
    TAGS,
    Operation,
    Params,
    Scope,
    bad_request,
    items,
    obj,
    refusal,
    view,
)
from gatepost.iam.admin import IamAdmin, IamAdminError
from gatepost.iam.model import ACTIVE, INACTIVE, ROLES, USERS

ACCOUNT = {"type": "string", "pattern": r"^\d{12}$"}
IAM_NAME = {"type": "string", "minLength": 1, "maxLength": 128}
DOCUMENT = {"anyOf": [{"type": "object"}, {"type": "string", "maxLength": 32768}]}
PRINCIPAL = view(["name", "arn", "id"], name=STRING, arn=STRING, id=STRING, account_id=STRING, path=STRING,
                 tags=TAGS, created_at=NUMBER, policies={"type": "array", "items": STRING})
CREDENTIALS = view(["AccessKeyId", "SecretAccessKey"], AccessKeyId=STRING, SecretAccessKey=STRING,
                   SessionToken=STRING, Expiration=STRING, Arn=STRING)
KEY_ROW = view(["access_key_id", "status", "owner_type", "owner"], access_key_id=STRING, status=STRING,
               owner_type=STRING, owner=STRING, account_id=STRING, created_at=NUMBER)


def _open(scope: Scope, p: Params) -> tuple[IamAdmin, str]:
    first = next(iter(scope.config.apis.values()), None)
    account = p.get("account") or (first.account_id if first is not None else None)
    if account is None:
        raise bad_request("the config has no API to take the account from: give the account (--account)")
    return _admin(scope), account


def _admin(scope: Scope) -> IamAdmin:
    return IamAdmin.open(scope.catalog, scope.config_dir)


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    """A principal as lists show it: its inline policies by name."""
    return {**doc, "policies": sorted(doc.get("policies", {}))}


def _guarded(fn: Any) -> Any:
    def run(scope: Scope, p: Params) -> Any:
        try:
            return fn(scope, p)
        except (IamAdminError, ValueError) as exc:
            raise refusal(exc) from None
    return run


@_guarded
def create_user(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    return _named(admin.create_user(p["name"], account, path=p.get("path", "/"), tags=p.get("tags") or {},
                                    now=time.time()))


@_guarded
def create_role(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    return _named(admin.create_role(p["name"], account, path=p.get("path", "/"), tags=p.get("tags") or {},
                                    max_session_seconds=p.get("max_session_duration", 3600),
                                    trust_policy=p.get("trust_policy"), now=time.time()))


@_guarded
def set_trust(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    admin.set_trust_policy(p["role"], account, p["document"])
    return {"role": p["role"]}


def _put_policy(collection: str, who: str) -> Any:
    @_guarded
    def put(scope: Scope, p: Params) -> dict[str, Any]:
        admin, account = _open(scope, p)
        admin.attach_policy(collection, p[who], account, p["policy"], p["document"])
        return {who: p[who], "policy": p["policy"]}
    return put


def _delete_policy(collection: str, who: str) -> Any:
    @_guarded
    def delete(scope: Scope, p: Params) -> dict[str, Any]:
        admin, account = _open(scope, p)
        admin.detach_policy(collection, p[who], account, p["policy"])
        return {who: p[who], "policy": p["policy"]}
    return delete


@_guarded
def create_key(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    return admin.create_access_key(p["user"], account, now=time.time()).as_dict()


@_guarded
def rotate_key(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    return admin.rotate_access_key(p["user"], account, old_key_id=p.get("old_key_id"),
                                   delete_old=p.get("delete_old", False), now=time.time()).as_dict()


@_guarded
def update_key(scope: Scope, p: Params) -> dict[str, Any]:
    admin = _admin(scope)
    admin.set_key_status(p["access_key_id"], p["status"])
    return {"access_key_id": p["access_key_id"], "status": p["status"]}


@_guarded
def delete_key(scope: Scope, p: Params) -> dict[str, Any]:
    admin = _admin(scope)
    admin.delete_access_key(p["access_key_id"])
    return {"access_key_id": p["access_key_id"]}


@_guarded
def assume_role(scope: Scope, p: Params) -> dict[str, Any]:
    admin, account = _open(scope, p)
    return admin.assume_role(p["role"], account, p["session_name"], now=time.time(),
                             duration_seconds=p.get("duration_seconds", 3600)).as_dict()


def list_users(scope: Scope, p: Params) -> dict[str, Any]:
    return {"items": [_named(u) for u in _admin(scope).list_users()]}


def list_roles(scope: Scope, p: Params) -> dict[str, Any]:
    return {"items": [_named(r) for r in _admin(scope).list_roles()]}


def list_keys(scope: Scope, p: Params) -> dict[str, Any]:
    return {"items": _admin(scope).list_keys()}


_ACCOUNT_QUERY = {"account": ACCOUNT}
_POLICY = obj(["document"], document=DOCUMENT, account=ACCOUNT)
_NAMED = view(required=(), role=STRING, user=STRING, policy=STRING)

OPERATIONS = [
    Operation("CreateUser", "POST", "/admin/iam/users", "create an IAM user", create_user, PRINCIPAL, status=201,
              body=obj(["name"], name=IAM_NAME, path={"type": "string", "maxLength": 512}, tags=TAGS,
                       account=ACCOUNT), refusals=(400, 409)),
    Operation("ListUsers", "GET", "/admin/iam/users", "every IAM user (inline policies by name)", list_users,
              items(PRINCIPAL), refusals=()),
    Operation("CreateRole", "POST", "/admin/iam/roles", "create an IAM role, optionally with its trust policy",
              create_role, PRINCIPAL, status=201,
              body=obj(["name"], name=IAM_NAME, path={"type": "string", "maxLength": 512}, tags=TAGS,
                       max_session_duration=INT, trust_policy=DOCUMENT, account=ACCOUNT), refusals=(400, 409)),
    Operation("ListRoles", "GET", "/admin/iam/roles", "every IAM role (inline policies by name)", list_roles,
              items(PRINCIPAL), refusals=()),
    Operation("UpdateAssumeRolePolicy", "PUT", "/admin/iam/roles/{role}/trust-policy", "replace a role's trust "
              "policy", set_trust, _NAMED, body=_POLICY, refusals=(400, 404)),
    Operation("PutUserPolicy", "PUT", "/admin/iam/users/{user}/policies/{policy}", "attach (or replace) a user's "
              "named inline policy", _put_policy(USERS, "user"), _NAMED, body=_POLICY, refusals=(400, 404)),
    Operation("PutRolePolicy", "PUT", "/admin/iam/roles/{role}/policies/{policy}", "attach (or replace) a role's "
              "named inline policy", _put_policy(ROLES, "role"), _NAMED, body=_POLICY, refusals=(400, 404)),
    Operation("DeleteUserPolicy", "DELETE", "/admin/iam/users/{user}/policies/{policy}", "remove a user's inline "
              "policy", _delete_policy(USERS, "user"), _NAMED, query=_ACCOUNT_QUERY, refusals=(400, 404)),
    Operation("DeleteRolePolicy", "DELETE", "/admin/iam/roles/{role}/policies/{policy}", "remove a role's inline "
              "policy", _delete_policy(ROLES, "role"), _NAMED, query=_ACCOUNT_QUERY, refusals=(400, 404)),
    Operation("CreateAccessKey", "POST", "/admin/iam/users/{user}/access-keys", "a new access key for a user; the "
              "secret is in this answer only", create_key, CREDENTIALS, status=201, body=obj(account=ACCOUNT),
              refusals=(400, 404)),
    Operation("RotateAccessKey", "POST", "/admin/iam/users/{user}/access-keys/rotate", "a new access key for a user "
              "(secret in this answer only); the old one(s) disabled, or deleted with delete_old", rotate_key,
              CREDENTIALS, body=obj(old_key_id=STRING, delete_old=BOOL, account=ACCOUNT), refusals=(400, 404)),
    Operation("ListAccessKeys", "GET", "/admin/iam/access-keys", "every access key and role session (never "
              "secrets)", list_keys, items(KEY_ROW), refusals=()),
    Operation("UpdateAccessKey", "PATCH", "/admin/iam/access-keys/{access_key_id}", "mark an access key Active or "
              "Inactive", update_key, view(["access_key_id", "status"], access_key_id=STRING, status=STRING),
              body=obj(["status"], status={"type": "string", "enum": [ACTIVE, INACTIVE]}), refusals=(400, 404)),
    Operation("DeleteAccessKey", "DELETE", "/admin/iam/access-keys/{access_key_id}", "delete an access key (or a "
              "role session's credentials)", delete_key, view(["access_key_id"], access_key_id=STRING),
              refusals=(404,)),
    Operation("AssumeRole", "POST", "/admin/iam/roles/{role}/sessions", "temporary credentials for a role session "
              "(secret and session token in this answer only)", assume_role, CREDENTIALS, status=201,
              body=obj(["session_name"], session_name=STRING, duration_seconds=INT, account=ACCOUNT),
              refusals=(400, 404)),
]
