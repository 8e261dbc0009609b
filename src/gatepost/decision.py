"""Decision and Principal: the values passed between pipeline stages after authorization.

Expected outcomes are values: an authorizer returns a Decision; the pipeline turns a non-allow
decision into its GatewayError. Only misconfiguration and bugs raise inside an authorizer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from gatepost.errors import GatewayError, ResponseType


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"  # authenticated, but not allowed (403)
    UNAUTHORIZED = "unauthorized"  # not authenticated (401 / 403 for SigV4)
    ERROR = "error"  # the authorizer or its identity provider failed: fail closed (500)


@dataclass(frozen=True)
class IamIdentity:
    """Who signed a SigV4 request (reference section 4.4 / 7)."""

    caller_arn: str  # arn:aws:iam::{acct}:user/{name} or arn:aws:sts::{acct}:assumed-role/{role}/{session}
    account_id: str
    access_key: str
    user_id: str  # AIDA... for users, AROA...:{session} for role sessions
    caller: str = ""
    cognito: Mapping[str, Any] | None = None  # identity-pool fields, when the credentials came from one

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, caller_arn: str, account_id: str, access_key: str, user_id: str, caller: str = "",
                 cognito: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "caller_arn", caller_arn)
        object.__setattr__(self, "account_id", account_id)
        object.__setattr__(self, "access_key", access_key)
        object.__setattr__(self, "user_id", user_id)
        object.__setattr__(self, "caller", caller)
        object.__setattr__(self, "cognito", cognito)


@dataclass(frozen=True)
class Principal:
    """The caller, as established by an authorizer. Never holds a token, key or secret."""

    principal_id: str | None = None
    claims: Mapping[str, Any] | None = None  # verified JWT claims (jwt, user_pool)
    scopes: tuple[str, ...] | None = None  # the token's scopes (jwt, user_pool); None when the route has none
    context: Mapping[str, Any] | None = None  # Lambda authorizer context map
    usage_identifier_key: str | None = None  # Lambda authorizer's API key (apiKeySource AUTHORIZER)
    iam: IamIdentity | None = None
    api_key_id: str | None = None  # set by the usage stage when an API key was checked

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, principal_id: str | None = None, claims: Mapping[str, Any] | None = None,
                 scopes: tuple[str, ...] | None = None, context: Mapping[str, Any] | None = None,
                 usage_identifier_key: str | None = None, iam: IamIdentity | None = None,
                 api_key_id: str | None = None) -> None:
        object.__setattr__(self, "principal_id", principal_id)
        object.__setattr__(self, "claims", claims)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "context", context)
        object.__setattr__(self, "usage_identifier_key", usage_identifier_key)
        object.__setattr__(self, "iam", iam)
        object.__setattr__(self, "api_key_id", api_key_id)


ANONYMOUS = Principal()
_PRINCIPAL_FIELDS = frozenset(f.name for f in fields(Principal))


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str  # stable reason code for the log, e.g. "jwt.expired", "lambda.allow.cached"
    authorizer: str = ""  # authorizer name ("" for public routes)
    kind: str = "none"  # authorizer type: none | iam | jwt | user_pool | lambda
    principal: Principal = ANONYMOUS
    error: GatewayError | None = None  # what the client gets when outcome is not ALLOW
    extra: Mapping[str, Any] = field(default_factory=dict)  # kind-specific data for the event hook

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, outcome: Outcome, reason: str, authorizer: str = "", kind: str = "none",
                 principal: Principal = ANONYMOUS, error: GatewayError | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "authorizer", authorizer)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "principal", principal)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "extra", {} if extra is None else extra)

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    def with_principal(self, **changes: Any) -> Decision:
        """This decision with some principal fields changed (direct constructor calls: `dataclasses.replace`
        re-reads the fields on every call, and this runs per keyed request)."""
        p = self.principal
        get = changes.get
        principal = Principal(get("principal_id", p.principal_id), get("claims", p.claims), get("scopes", p.scopes),
                              get("context", p.context), get("usage_identifier_key", p.usage_identifier_key),
                              get("iam", p.iam), get("api_key_id", p.api_key_id))
        if len(changes.keys() - _PRINCIPAL_FIELDS):
            raise TypeError(f"unknown Principal field(s): {sorted(changes.keys() - _PRINCIPAL_FIELDS)}")
        return Decision(self.outcome, self.reason, self.authorizer, self.kind, principal, self.error, self.extra)

    @staticmethod
    def allow(reason: str, *, authorizer: str, kind: str, principal: Principal = ANONYMOUS,
              extra: Mapping[str, Any] | None = None) -> Decision:
        return Decision(Outcome.ALLOW, reason, authorizer, kind, principal, None, extra or {})

    @staticmethod
    def reject(outcome: Outcome, error: GatewayError, *, authorizer: str, kind: str,
               principal: Principal = ANONYMOUS) -> Decision:
        return Decision(outcome, error.reason, authorizer, kind, principal, error)

    def raise_if_rejected(self) -> None:
        if self.outcome is not Outcome.ALLOW:
            raise self.error or GatewayError(ResponseType.ACCESS_DENIED, self.reason)


PUBLIC = Decision.allow("public", authorizer="", kind="none")
