"""Users of a pool in the catalog (`idp_users`, key `{pool_id}/{username lower-cased}`): what admin calls,
the CLI and the sign-in flows read and write. Blocking (catalog, argon2): the gateway runs it in a thread.

A user document: username (as created), sub (a UUID), attributes {name: value} (standard names and
`custom:*` declared by the pool), enabled, status (CONFIRMED | FORCE_CHANGE_PASSWORD), password (an
argon2id hash, never the password), password_set_at, groups, created_at, modified_at, and sessions
{origin_jti: expires_at} (one per sign-in; see sessions.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from gatepost.idp.errors import IdpError, invalid_parameter, resource_not_found, user_not_found
from gatepost.idp.passwords import Passwords, check_policy, generate_password
from gatepost.idp.pool import Pool
from gatepost.stores.base import Catalog, Doc

USERS = "idp_users"
CONFIRMED, FORCE_CHANGE_PASSWORD = "CONFIRMED", "FORCE_CHANGE_PASSWORD"
EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"  # a user signed in through an external identity provider (no password)
STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture", "preferred_username",
    "profile", "zoneinfo", "updated_at", "website"})
_USERNAME = re.compile(r"^[\w+=,.@-]{1,128}$")


def user_key(pool_id: str, username: str) -> str:
    return f"{pool_id}/{username.lower()}"


def check_attributes(pool: Pool, attributes: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name, value in attributes.items():
        custom = name.removeprefix("custom:") if name.startswith("custom:") else None
        if custom is not None and custom not in pool.custom_attributes:
            raise invalid_parameter(f"Attributes did not conform to the schema: {name}: Attribute does not exist "
                                    "in the schema.")
        if custom is None and name not in STANDARD_ATTRIBUTES:
            raise invalid_parameter(f"Attributes did not conform to the schema: {name}: Attribute does not exist "
                                    "in the schema.")
        if not isinstance(value, str) or len(value) > 2048:
            raise invalid_parameter(f"Attributes did not conform to the schema: {name}: invalid value")
        out[name] = value
    return out


def attribute_list(doc: Doc, wanted: list[str] | None = None) -> list[dict[str, str]]:
    items = {"sub": doc["sub"], **doc.get("attributes", {})}
    return [{"Name": k, "Value": v} for k, v in items.items() if wanted is None or k in wanted]


def user_view(doc: Doc, wanted: list[str] | None = None) -> dict[str, Any]:
    """Cognito's UserType (AdminCreateUser, ListUsers); AdminGetUser uses `UserAttributes` instead."""
    return {"Username": doc["username"], "Attributes": attribute_list(doc, wanted),
            "UserCreateDate": doc["created_at"], "UserLastModifiedDate": doc["modified_at"],
            "Enabled": doc.get("enabled", True), "UserStatus": doc["status"]}


class UserStore:
    def __init__(self, catalog: Catalog, passwords: Mapping[str, Passwords]) -> None:
        self.catalog = catalog
        self.passwords = passwords  # by pool id

    def get(self, pool: Pool, username: str) -> Doc | None:
        if not _USERNAME.match(username):
            return None
        return self.catalog.get(USERS, user_key(pool.pool_id, username))

    def require(self, pool: Pool, username: str) -> Doc:
        doc = self.get(pool, username)
        if doc is None:
            raise user_not_found()
        return doc

    def create(self, pool: Pool, username: str, attributes: Mapping[str, str], *, now: float,
               temporary_password: str | None = None, password: str | None = None) -> Doc:
        """A new user: FORCE_CHANGE_PASSWORD with a temporary password (generated when not given), or
        CONFIRMED when `password` (permanent) is given."""
        if not _USERNAME.match(username):
            raise invalid_parameter("1 validation error detected: Value at 'username' failed to satisfy "
                                    "constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}"
                                    "\\p{S}\\p{N}\\p{P}]+")
        attrs = check_attributes(pool, attributes)
        policy = pool.config.password_policy
        secret = password if password is not None else temporary_password or generate_password(policy)
        check_policy(secret, policy)
        doc = {"username": username, "sub": str(uuid.uuid4()), "attributes": attrs, "enabled": True,
               "status": CONFIRMED if password is not None else FORCE_CHANGE_PASSWORD,
               "password": self.passwords[pool.pool_id].hash(secret), "password_set_at": now, "groups": [],
               "created_at": now, "modified_at": now, "sessions": {}}
        if not self.catalog.insert(USERS, user_key(pool.pool_id, username), doc):
            raise IdpError("UsernameExistsException", "User account already exists", "idp.username_exists")
        return doc

    def set_password(self, pool: Pool, username: str, password: str, *, permanent: bool, now: float) -> Doc:
        check_policy(password, pool.config.password_policy)
        hashed = self.passwords[pool.pool_id].hash(password)
        status = CONFIRMED if permanent else FORCE_CHANGE_PASSWORD
        return self._update(pool, username, lambda d: {**d, "password": hashed, "password_set_at": now,
                                                       "status": status, "modified_at": now})

    def add_to_group(self, pool: Pool, username: str, group: str, *, now: float) -> Doc:
        if group not in pool.groups:
            raise resource_not_found("Group not found.")
        return self._update(pool, username, lambda d: d if group in d.get("groups", []) else
                            {**d, "groups": [*d.get("groups", []), group], "modified_at": now})

    def remove_from_group(self, pool: Pool, username: str, group: str, *, now: float) -> Doc:
        """Cognito's AdminRemoveUserFromGroup: an undeclared group is ResourceNotFound; a user not in the group
        is left as is (no error). Tokens already issued keep their claims until they expire."""
        if group not in pool.groups:
            raise resource_not_found("Group not found.")
        return self._update(pool, username, lambda d: d if group not in d.get("groups", []) else
                            {**d, "groups": [g for g in d.get("groups", []) if g != group], "modified_at": now})

    def update_attributes(self, pool: Pool, username: str, attributes: Mapping[str, str], *, now: float) -> Doc:
        attrs = check_attributes(pool, attributes)
        return self._update(pool, username, lambda d: {**d, "attributes": {**d.get("attributes", {}), **attrs},
                                                       "modified_at": now})

    def upsert_external(self, pool: Pool, username: str, provider: str, subject: str,
                        attributes: Mapping[str, str], groups: list[str] | None, *, now: float) -> Doc:
        """Create or update a federated user `{provider}_{sub}`: attributes (and, when `groups` is given, its
        groups) follow the provider at every sign-in, as Cognito's attribute mapping does. No password."""
        attrs = check_attributes(pool, attributes)
        link = {"provider": provider, "subject": subject}

        def put(doc: Doc | None) -> Doc:
            if doc is None:
                doc = {"username": username, "sub": str(uuid.uuid4()), "attributes": {}, "enabled": True,
                       "status": EXTERNAL_PROVIDER, "password": None, "groups": [], "created_at": now,
                       "sessions": {}, "identity": link}
            out = {**doc, "attributes": {**doc.get("attributes", {}), **attrs}, "modified_at": now}
            if groups is not None:
                out["groups"] = [g for g in groups if g in pool.groups]
            return out

        found = self.catalog.update(USERS, user_key(pool.pool_id, username), put)
        assert found is not None
        return found

    def set_enabled(self, pool: Pool, username: str, enabled: bool, *, now: float) -> Doc:
        return self._update(pool, username, lambda d: {**d, "enabled": enabled, "modified_at": now})

    def _update(self, pool: Pool, username: str, fn: Any) -> Doc:
        self.require(pool, username)
        found = self.catalog.update(USERS, user_key(pool.pool_id, username), lambda d: None if d is None else fn(d))
        if found is None:
            raise user_not_found()
        return found

    def all(self, pool: Pool) -> list[Doc]:
        return [d for _, d in self.catalog.list(USERS, prefix=f"{pool.pool_id}/")]
