"""The Principal / NotPrincipal element of a resource policy, compiled to a matcher.

Accepted values: "*", {"AWS": "*"}, an account id ("123456789012") or account root ARN
(arn:aws:iam::123456789012:root) matching every principal of that account, a user or role ARN,
an assumed-role session ARN, and {"Service"|"Federated"|"CanonicalUser": ...} matched exactly.
A role ARN also matches its sessions (arn:aws:sts::{acct}:assumed-role/{role}/{session}).
The caller "anonymous" is matched only by "*".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.policy.arn import ACCOUNT_ID, arn_fields
from gatepost.policy.errors import PolicyError

ANONYMOUS = "anonymous"
_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class PrincipalMatcher:
    any: bool
    accounts: frozenset[str]
    exact: frozenset[str]
    roles: frozenset[tuple[str, str]]  # (account, role name): matches the role's sessions

    @classmethod
    def parse(cls, raw: Any, where: str) -> PrincipalMatcher:
        if raw == "*":
            return cls(True, frozenset(), frozenset(), frozenset())
        if not isinstance(raw, Mapping) or not raw:
            raise PolicyError(f'{where}: must be "*" or an object such as {{"AWS": "arn:aws:iam::123456789012:root"}}')
        values: list[str] = []
        for kind, value in raw.items():
            if kind not in _KINDS:
                raise PolicyError(f"{where}: unknown principal type {kind!r} (expected one of {', '.join(_KINDS)})")
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
                raise PolicyError(f"{where}.{kind}: must be a non-empty string or list of strings")
            values.extend(items)
        return cls._of(values)

    @classmethod
    def _of(cls, values: list[str]) -> PrincipalMatcher:
        accounts: set[str] = set()
        exact: set[str] = set()
        roles: set[tuple[str, str]] = set()
        for v in values:
            if v == "*":
                return cls(True, frozenset(), frozenset(), frozenset())
            if ACCOUNT_ID.match(v):
                accounts.add(v)
                continue
            fields = arn_fields(v)
            if fields and fields[2] == "iam" and fields[5] == "root":
                accounts.add(fields[4])
                continue
            exact.add(v)
            if fields and fields[2] == "iam" and fields[5].startswith("role/"):
                roles.add((fields[4], fields[5].rsplit("/", 1)[-1]))
        return cls(False, frozenset(accounts), frozenset(exact), frozenset(roles))

    def matches(self, principal: str) -> bool:
        if self.any:
            return True
        if principal == ANONYMOUS:
            return False
        if principal in self.exact:
            return True
        fields = arn_fields(principal)
        if fields is None:
            return False
        if fields[4] in self.accounts:
            return True
        if self.roles and fields[2] == "sts" and fields[5].startswith("assumed-role/"):
            parts = fields[5].split("/")
            return len(parts) >= 3 and (fields[4], parts[1]) in self.roles
        return False
