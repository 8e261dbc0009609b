"""IAM policy documents, parsed once into compiled statements.

Shape (IAM JSON policy reference): {"Version": "2012-10-17", "Id"?: str, "Statement": {..} | [{..}]};
each statement: Sid?, Effect ("Allow" | "Deny"), exactly one of Action / NotAction, exactly one of
Resource / NotResource, at most one of Principal / NotPrincipal, Condition?.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.policy.conditions import Clause, parse_condition
from gatepost.policy.errors import PolicyError
from gatepost.policy.glob import GlobSet
from gatepost.policy.principal import PrincipalMatcher

VERSIONS = ("2012-10-17", "2008-10-17")
_DOC_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
                   "Condition"}


@dataclass(frozen=True)
class Statement:
    sid: str | None
    allow: bool  # Effect: Allow (True) or Deny (False)
    actions: GlobSet
    actions_negated: bool  # NotAction
    resources: GlobSet
    resources_negated: bool  # NotResource
    principals: PrincipalMatcher | None
    principals_negated: bool  # NotPrincipal
    conditions: tuple[Clause, ...]

    @property
    def effect(self) -> str:
        return "Allow" if self.allow else "Deny"

    def applies(self, action: str, resource: str, context: Mapping[str, Any], principal: str | None) -> bool:
        if self.actions.matches(action) == self.actions_negated:
            return False
        if self.resources.matches(resource) == self.resources_negated:
            return False
        if (self.principals is not None and principal is not None
                and self.principals.matches(principal) == self.principals_negated):
            return False
        return all(clause.holds(context) for clause in self.conditions)


def _strings(raw: Any, where: str) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(x, str) and x for x in items):
        raise PolicyError(f"{where}: must be a non-empty string or a non-empty list of strings")
    return items


def _one_of(raw: Mapping[str, Any], names: tuple[str, str], where: str, *, required: bool) -> tuple[Any, bool]:
    present = [n for n in names if n in raw]
    if len(present) > 1:
        raise PolicyError(f"{where}: use either {names[0]} or {names[1]}, not both")
    if not present:
        if required:
            raise PolicyError(f"{where}: missing {names[0]} (or {names[1]})")
        return None, False
    return raw[present[0]], present[0] == names[1]


def _actions(raw: Any, where: str) -> GlobSet:
    values = _strings(raw, where)
    for value in values:
        if value != "*" and ":" not in value:
            raise PolicyError(f"{where}: action {value!r} must look like 'service:Action' (e.g. execute-api:Invoke)")
    return GlobSet.of(values, ignore_case=True)


def parse_statement(raw: Any, where: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a statement must be an object")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown statement element(s) {sorted(unknown)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}.Effect: must be "Allow" or "Deny", got {effect!r}')
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}.Sid: must be a string")
    action, not_action = _one_of(raw, ("Action", "NotAction"), where, required=True)
    resource, not_resource = _one_of(raw, ("Resource", "NotResource"), where, required=True)
    principal, not_principal = _one_of(raw, ("Principal", "NotPrincipal"), where, required=False)
    field = "NotAction" if not_action else "Action"
    rfield = "NotResource" if not_resource else "Resource"
    pfield = "NotPrincipal" if not_principal else "Principal"
    return Statement(
        sid=sid,
        allow=effect == "Allow",
        actions=_actions(action, f"{where}.{field}"),
        actions_negated=not_action,
        resources=GlobSet.of(_strings(resource, f"{where}.{rfield}")),
        resources_negated=not_resource,
        principals=None if principal is None else PrincipalMatcher.parse(principal, f"{where}.{pfield}"),
        principals_negated=not_principal,
        conditions=parse_condition(raw["Condition"], f"{where}.Condition") if "Condition" in raw else (),
    )


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | str) -> PolicyDocument:
        if isinstance(raw, str | bytes):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise PolicyError(f"policy document is not valid JSON: {exc}") from None
        if not isinstance(raw, Mapping):
            raise PolicyError("policy document must be a JSON object with a Statement")
        unknown = set(raw) - _DOC_KEYS
        if unknown:
            raise PolicyError(f"policy document: unknown element(s) {sorted(unknown)} "
                              "(expected Version, Id, Statement)")
        version = raw.get("Version")
        if version is not None and version not in VERSIONS:
            raise PolicyError(f"Version: must be one of {', '.join(VERSIONS)}, got {version!r}")
        if "Statement" not in raw:
            raise PolicyError("policy document: missing Statement")
        body = raw["Statement"]
        items = [body] if isinstance(body, Mapping) else body
        if not isinstance(items, list):
            raise PolicyError("Statement: must be an object or a list of objects")
        return cls(tuple(parse_statement(s, f"Statement[{i}]") for i, s in enumerate(items)))
