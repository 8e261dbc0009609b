"""The admin operations of the Cognito JSON protocol, on the catalog (blocking: run in a thread).
Callers have already been authenticated and authorized (admin_auth.py)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from gatepost.idp.core import IdpCore
from gatepost.idp.errors import invalid_parameter
from gatepost.idp.pool import Pool
from gatepost.idp.users import attribute_list, user_view
from gatepost.stores.base import Doc

_FILTER = re.compile(r'^\s*([\w:]+)\s*(=|\^=)\s*"([^"]*)"\s*$')
_FILTERABLE = frozenset({"username", "email", "phone_number", "name", "given_name", "family_name",
                         "preferred_username", "cognito:user_status", "status", "sub"})


def _str(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"1 validation error detected: Value at '{name[0].lower() + name[1:]}' failed to "
                                "satisfy constraint: Member must not be null")
    return value


def _attributes(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(a, dict) and isinstance(a.get("Name"), str) for a in raw):
        raise invalid_parameter("UserAttributes must be a list of {Name, Value}")
    return {a["Name"]: str(a.get("Value", "")) for a in raw}


def admin_create_user(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    temporary = params.get("TemporaryPassword")
    doc = core.users.create(pool, _str(params, "Username"), _attributes(params.get("UserAttributes")),
                            now=core.clock.now(), temporary_password=temporary if isinstance(temporary, str) else None)
    return {"User": user_view(doc)}


def admin_set_user_password(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    core.users.set_password(pool, _str(params, "Username"), _str(params, "Password"),
                            permanent=bool(params.get("Permanent", False)), now=core.clock.now())
    return {}


def admin_add_user_to_group(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    core.users.add_to_group(pool, _str(params, "Username"), _str(params, "GroupName"), now=core.clock.now())
    return {}


def admin_remove_user_from_group(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    core.users.remove_from_group(pool, _str(params, "Username"), _str(params, "GroupName"), now=core.clock.now())
    return {}


def admin_get_user(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    doc = core.users.require(pool, _str(params, "Username"))
    view = user_view(doc)
    return {"Username": view["Username"], "UserAttributes": attribute_list(doc),
            "UserCreateDate": view["UserCreateDate"], "UserLastModifiedDate": view["UserLastModifiedDate"],
            "Enabled": view["Enabled"], "UserStatus": view["UserStatus"]}


def _matcher(expression: Any) -> Callable[[Doc], bool]:
    if expression in (None, ""):
        return lambda doc: True
    m = _FILTER.match(expression) if isinstance(expression, str) else None
    if m is None or m.group(1) not in _FILTERABLE:
        raise invalid_parameter("Error while parsing filter.")
    name, op, value = m.groups()

    def field(doc: Doc) -> str:
        if name == "username":
            return str(doc["username"])
        if name == "cognito:user_status":
            return str(doc["status"])
        if name == "status":
            return "Enabled" if doc.get("enabled", True) else "Disabled"
        if name == "sub":
            return str(doc["sub"])
        return str(doc.get("attributes", {}).get(name, ""))

    if op == "=":
        return lambda doc: field(doc) == value
    return lambda doc: field(doc).startswith(value)


def _page_start(token: Any) -> str:
    if token is None:
        return ""
    try:
        return base64.urlsafe_b64decode(str(token).encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_parameter("Invalid pagination token.") from None


def list_users(core: IdpCore, pool: Pool, params: dict[str, Any]) -> dict[str, Any]:
    limit = params.get("Limit", 60)
    if not isinstance(limit, int) or not 0 <= limit <= 60:
        raise invalid_parameter("Limit must be between 0 and 60")
    limit = limit or 60
    wanted = params.get("AttributesToGet")
    wanted = wanted if isinstance(wanted, list) else None
    keep, start = _matcher(params.get("Filter")), _page_start(params.get("PaginationToken"))
    docs = sorted((d for d in core.users.all(pool) if keep(d)), key=lambda d: str(d["username"]).lower())
    docs = [d for d in docs if str(d["username"]).lower() >= start]
    out: dict[str, Any] = {"Users": [user_view(d, wanted) for d in docs[:limit]]}
    if len(docs) > limit:
        out["PaginationToken"] = base64.urlsafe_b64encode(str(docs[limit]["username"]).lower().encode()).decode()
    return out


ADMIN_OPERATIONS: dict[str, Callable[[IdpCore, Pool, dict[str, Any]], dict[str, Any]]] = {
    "AdminCreateUser": admin_create_user,
    "AdminSetUserPassword": admin_set_user_password,
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminGetUser": admin_get_user,
    "ListUsers": list_users,
}
