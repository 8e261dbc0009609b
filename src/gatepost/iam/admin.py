"""IAM administration on the catalog: what `gatepost iam ...`, the demo hook, tests and the bench call.

Secrets are generated here, sealed with the master key before they are written, and returned once
in an `IssuedKey`; nothing here logs them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatepost.iam import ids
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import (
    ACTIVE,
    INACTIVE,
    KEYS,
    ROLES,
    USERS,
    principal_key,
    role_arn,
    session_arn,
    user_arn,
)
from gatepost.policy import PolicyDocument
from gatepost.stores.base import Catalog, Doc

_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_SESSION = re.compile(r"^[\w+=,.@-]{2,64}$")
_ACCOUNT = re.compile(r"^\d{12}$")


class IamAdminError(ValueError):
    """A request the catalog cannot satisfy (unknown user, duplicate name, bad policy...)."""


@dataclass(frozen=True)
class IssuedKey:
    """Credentials to hand to a caller once. `secret_access_key` and `session_token` are never stored plain."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    arn: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key}
        if self.session_token:
            out["SessionToken"] = self.session_token
        if self.expires_at is not None:
            out["Expiration"] = _iso(self.expires_at)
        if self.arn:
            out["Arn"] = self.arn
        return out


def _iso(epoch: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _check_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise IamAdminError(f"{what} name {name!r}: use 1-64 letters, digits and + = , . @ _ -")


def _check_account(account_id: str) -> None:
    if not _ACCOUNT.match(account_id):
        raise IamAdminError(f"account id {account_id!r}: must be 12 digits")


def _path(path: str) -> str:
    if not (path.startswith("/") and path.endswith("/")):
        raise IamAdminError(f"path {path!r}: must start and end with '/', e.g. /ops/")
    return path


def _trust(document: dict[str, Any] | str) -> dict[str, Any]:
    raw = json.loads(document) if isinstance(document, str) else document
    if not isinstance(raw, dict) or not raw.get("Statement"):
        raise IamAdminError('a trust policy is a JSON object with "Statement", e.g. {"Version": "2012-10-17", '
                            '"Statement": [{"Effect": "Allow", "Principal": {"Federated": '
                            '"cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]}')
    return raw


class IamAdmin:
    def __init__(self, catalog: Catalog, box: SecretBox) -> None:
        self.catalog = catalog
        self.box = box

    @classmethod
    def open(cls, catalog: Catalog, config_dir: Path) -> IamAdmin:
        return cls(catalog, SecretBox.for_catalog(catalog, config_dir))

    # --- principals -----------------------------------------------------------------------------------------

    def create_user(self, name: str, account_id: str, *, path: str = "/", tags: dict[str, str] | None = None,
                    now: float = 0.0) -> Doc:
        _check_name(name, "user")
        _check_account(account_id)
        doc = {"name": name, "account_id": account_id, "arn": user_arn(account_id, name, _path(path)),
               "id": ids.user_id(), "path": path, "tags": dict(tags or {}), "policies": {}, "created_at": now}
        if not self.catalog.insert(USERS, principal_key(account_id, name), doc):
            raise IamAdminError(f"user {name!r} already exists in account {account_id}")
        return doc

    def create_role(self, name: str, account_id: str, *, path: str = "/", tags: dict[str, str] | None = None,
                    max_session_seconds: int = 3600, trust_policy: dict[str, Any] | str | None = None,
                    now: float = 0.0) -> Doc:
        _check_name(name, "role")
        _check_account(account_id)
        if not 900 <= max_session_seconds <= 43200:
            raise IamAdminError("max session duration must be 900-43200 seconds")
        doc = {"name": name, "account_id": account_id, "arn": role_arn(account_id, name, _path(path)),
               "id": ids.role_id(), "path": path, "tags": dict(tags or {}), "policies": {},
               "max_session_seconds": max_session_seconds, "created_at": now}
        if trust_policy is not None:
            doc["trust_policy"] = _trust(trust_policy)
        if not self.catalog.insert(ROLES, principal_key(account_id, name), doc):
            raise IamAdminError(f"role {name!r} already exists in account {account_id}")
        return doc

    def _principal(self, collection: str, name: str, account_id: str) -> Doc:
        doc = self.catalog.get(collection, principal_key(account_id, name))
        if doc is None:
            what = "user" if collection == USERS else "role"
            raise IamAdminError(f"no {what} {name!r} in account {account_id}")
        return doc

    def attach_policy(self, collection: str, name: str, account_id: str, policy_name: str,
                      document: dict[str, Any] | str) -> None:
        raw = json.loads(document) if isinstance(document, str) else document
        PolicyDocument.parse(raw)  # PolicyError (a ValueError) says what is wrong
        _check_name(policy_name, "policy")
        self._principal(collection, name, account_id)

        def put(doc: Doc | None) -> Doc | None:
            if doc is None:
                return None
            return {**doc, "policies": {**doc.get("policies", {}), policy_name: raw}}

        self.catalog.update(collection, principal_key(account_id, name), put)

    def set_trust_policy(self, name: str, account_id: str, document: dict[str, Any] | str) -> None:
        """The role's trust policy (AssumeRolePolicyDocument): who may assume it, e.g. an identity pool."""
        raw = _trust(document)
        self._principal(ROLES, name, account_id)
        self.catalog.update(ROLES, principal_key(account_id, name),
                            lambda d: None if d is None else {**d, "trust_policy": raw})

    def detach_policy(self, collection: str, name: str, account_id: str, policy_name: str) -> None:
        doc = self._principal(collection, name, account_id)
        if policy_name not in doc.get("policies", {}):
            raise IamAdminError(f"{name!r} has no policy {policy_name!r}")

        def drop(current: Doc | None) -> Doc | None:
            if current is None:
                return None
            return {**current, "policies": {k: v for k, v in current.get("policies", {}).items() if k != policy_name}}

        self.catalog.update(collection, principal_key(account_id, name), drop)

    # --- access keys ----------------------------------------------------------------------------------------

    def create_access_key(self, user: str, account_id: str, *, now: float = 0.0) -> IssuedKey:
        owner = self._principal(USERS, user, account_id)
        key_id, secret = ids.access_key_id(), ids.secret_access_key()
        doc = {"access_key_id": key_id, "owner_type": "user", "owner": principal_key(account_id, user),
               "account_id": account_id, "status": ACTIVE, "secret": self.box.seal(secret, key_id),
               "created_at": now}
        self.catalog.put(KEYS, key_id, doc)
        return IssuedKey(key_id, secret, arn=owner["arn"])

    def set_key_status(self, access_key_id: str, status: str) -> None:
        if status not in (ACTIVE, INACTIVE):
            raise IamAdminError("status must be Active or Inactive")
        found = self.catalog.update(KEYS, access_key_id, lambda d: None if d is None else {**d, "status": status})
        if found is None:
            raise IamAdminError(f"no access key {access_key_id}")

    def delete_access_key(self, access_key_id: str) -> None:
        if not self.catalog.delete(KEYS, access_key_id):
            raise IamAdminError(f"no access key {access_key_id}")

    def rotate_access_key(self, user: str, account_id: str, *, old_key_id: str | None = None,
                          delete_old: bool = False, now: float = 0.0) -> IssuedKey:
        """A new key for the user; the old one(s) disabled (or deleted)."""
        owner = principal_key(account_id, user)
        old = [k for k, d in self.catalog.list(KEYS) if d.get("owner") == owner and d.get("owner_type") == "user"
               and (old_key_id is None or k == old_key_id)]
        if old_key_id is not None and not old:
            raise IamAdminError(f"{old_key_id} is not an access key of {user!r}")
        issued = self.create_access_key(user, account_id, now=now)
        for key_id in old:
            if delete_old:
                self.catalog.delete(KEYS, key_id)
            else:
                self.set_key_status(key_id, INACTIVE)
        return issued

    def role(self, name: str, account_id: str) -> Doc | None:
        return self.catalog.get(ROLES, principal_key(account_id, name))

    def assume_role(self, role: str, account_id: str, session_name: str, *, now: float,
                    duration_seconds: int = 3600, cognito: dict[str, Any] | None = None) -> IssuedKey:
        """Temporary credentials for a role session (AssumeRole's shape), valid `duration_seconds`.
        `cognito` records the identity-pool identity the session was issued to (events show it)."""
        doc = self._principal(ROLES, role, account_id)
        if not _SESSION.match(session_name):
            raise IamAdminError(f"session name {session_name!r}: use 2-64 letters, digits and + = , . @ _ -")
        limit = int(doc.get("max_session_seconds", 3600))
        if not 900 <= duration_seconds <= limit:
            raise IamAdminError(f"duration must be 900-{limit} seconds for role {role!r}")
        key_id, secret, token = ids.access_key_id(temporary=True), ids.secret_access_key(), ids.session_token()
        expires_at = now + duration_seconds
        self.catalog.put(KEYS, key_id, {
            "access_key_id": key_id, "owner_type": "role", "owner": principal_key(account_id, role),
            "account_id": account_id, "status": ACTIVE, "secret": self.box.seal(secret, key_id),
            "session_name": session_name, "session_token_sha256": hashlib.sha256(token.encode()).hexdigest(),
            "issued_at": now, "expires_at": expires_at, "created_at": now,
            **({"cognito": dict(cognito)} if cognito else {}),
        })
        return IssuedKey(key_id, secret, token, expires_at, session_arn(account_id, role, session_name))

    def purge_expired(self, now: float) -> int:
        expired = [k for k, d in self.catalog.list(KEYS) if d.get("expires_at") is not None and d["expires_at"] <= now]
        for key_id in expired:
            self.catalog.delete(KEYS, key_id)
        return len(expired)

    # --- listing (never secrets) ----------------------------------------------------------------------------

    def list_users(self) -> list[Doc]:
        return [d for _, d in self.catalog.list(USERS)]

    def list_roles(self) -> list[Doc]:
        return [d for _, d in self.catalog.list(ROLES)]

    def list_keys(self) -> list[Doc]:
        hidden = {"secret", "session_token_sha256"}
        return [{k: v for k, v in d.items() if k not in hidden} for _, d in self.catalog.list(KEYS)]
