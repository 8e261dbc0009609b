"""IAM policy evaluation: explicit Deny beats Allow; no applicable Allow is an implicit deny.

`evaluate(documents, action, resource, context, principal)` runs per request (identity policies,
resource policies, cached Lambda authorizer policies), so documents are parsed and compiled once
(`PolicyDocument.parse`) and evaluation is a few set lookups and regex matches.

`principal` is the caller's ARN (or "anonymous") for resource policies; statements with a
Principal/NotPrincipal element are checked against it. Pass None for identity policies, whose
statements carry no Principal (an element present anyway is then not consulted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from gatepost.policy.document import PolicyDocument, Statement
from gatepost.policy.errors import PolicyError

__all__ = ["Effect", "PolicyDocument", "PolicyError", "Statement", "evaluate"]

_EMPTY: Mapping[str, Any] = {}


class Effect(StrEnum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


def evaluate(
    documents: Iterable[PolicyDocument],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    principal: str | None = None,
) -> Effect:
    ctx = context if context is not None else _EMPTY
    allowed = False
    for document in documents:
        for statement in document.statements:
            if statement.allow and allowed:
                continue  # already allowed: only a Deny can still change the answer
            if statement.applies(action, resource, ctx, principal):
                if not statement.allow:
                    return Effect.EXPLICIT_DENY
                allowed = True
    return Effect.ALLOW if allowed else Effect.IMPLICIT_DENY
