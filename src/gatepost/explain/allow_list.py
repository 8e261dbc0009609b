"""AWS's documented allow-list shape for resource policies: an unconditioned `Allow` for every principal,
narrowed by a `Deny` for every principal *unless* the request comes from listed addresses or endpoints.

AWS documents it for source IPs ("Allow` ... + `Deny` ... `NotIpAddress: {aws:SourceIp: [...]}`) and for
private APIs (`StringNotEquals: {aws:SourceVpce | aws:SourceVpc: ...}`). The Allow alone would let
everyone in; with the Deny covering the same resources and actions, only the listed sources get in, so
`audit` must not flag the Allow as "allows every principal".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

# (condition operator, key): the Deny applies to every request not from the listed sources
ALLOW_LIST_CONDITIONS = {
    ("NotIpAddress", "aws:sourceip"), ("NotIpAddress", "aws:vpcsourceip"),
    ("StringNotEquals", "aws:sourcevpce"), ("StringNotEquals", "aws:sourcevpc"),
    ("StringNotEqualsIfExists", "aws:sourcevpce"), ("StringNotEqualsIfExists", "aws:sourcevpc"),
}


def is_everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, Mapping) and principal.get("AWS") in ("*", ["*"]))


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, Sequence) else []


def _covers(patterns: list[str], values: list[str]) -> bool:
    """Every value is matched by one of the IAM-style wildcard patterns (`*`, `?`)."""
    return bool(values) and all(any(fnmatchcase(v, p) for p in patterns) for v in values)


def source_allow_list(deny: Mapping[str, Any]) -> str | None:
    """`aws:SourceIp` (or the VPC key) when `deny` is the allow-list half of AWS's shape; else None."""
    if deny.get("Effect") != "Deny" or not is_everyone(deny.get("Principal")) or "NotResource" in deny \
            or "NotAction" in deny:
        return None
    condition = deny.get("Condition")
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return None
    (operator, keys), = condition.items()
    if not isinstance(keys, Mapping) or len(keys) != 1:
        return None
    (key, _), = keys.items()
    return str(key) if (operator, str(key).lower()) in ALLOW_LIST_CONDITIONS else None


def narrowed_by_allow_list(allow: Mapping[str, Any], statements: Sequence[Any]) -> str | None:
    """The condition key of a Deny in `statements` that limits `allow` to listed sources, or None: the
    Deny must cover every resource and action the Allow grants."""
    resources, actions = _list(allow.get("Resource")), _list(allow.get("Action"))
    for st in statements:
        if not isinstance(st, Mapping):
            continue
        key = source_allow_list(st)
        if key is not None and _covers(_list(st.get("Resource")), resources) \
                and _covers(_list(st.get("Action")), actions):
            return key
    return None
