"""An API's resource policy (`resource_policy:`, the x-amazon-apigateway-policy JSON), as a PolicyGate.

- `pre_check` (before any authorizer): the statements that can be decided without knowing the caller
  (Deny, Principal "*", no principal-specific condition keys) answer 403 on an explicit deny.
- `combine` (after the authorizer), AWS's tables (reference 4.3):
  * iam, same account: allow when the identity policy or the resource policy allows (table A);
    cross-account: both must allow (table B); an explicit deny on either side wins;
  * lambda: table A with the authorizer's policy (`decision.extra["policy_effect"]`);
  * user_pool / jwt / public routes: the resource policy must explicitly allow;
  * 401s and authorizer failures stand as they are.
Shorthand resources `execute-api:/stage/METHOD/path` expand to this API's ARN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatepost.decision import Decision, Outcome
from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import NO_POLICY, PolicyGate
from gatepost.policy.context import INVOKE, denial_message, request_context
from gatepost.policy.evaluate import Effect, PolicyDocument, Statement, evaluate
from gatepost.policy.principal import ANONYMOUS

if TYPE_CHECKING:
    from gatepost.api_info import ApiInfo
    from gatepost.clock import Clock
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.services import Services

SHORTHAND = "execute-api:/"
_CALLER_KEYS = ("aws:principal", "aws:userid", "aws:username", "aws:tokenissuetime", "aws:multifactorauth")


def expand_shorthand(raw: Any, info: ApiInfo) -> Any:
    prefix = f"arn:aws:execute-api:{info.region}:{info.account_id}:{info.api_id}/"
    if isinstance(raw, str):
        return prefix + raw[len(SHORTHAND):] if raw.startswith(SHORTHAND) else raw
    if isinstance(raw, list):
        return [expand_shorthand(r, info) for r in raw]
    return raw


def expand_document(raw: dict[str, Any], info: ApiInfo) -> dict[str, Any]:
    statements = raw.get("Statement")
    items = [statements] if isinstance(statements, dict) else statements
    if not isinstance(items, list):
        return raw
    expanded = [{k: expand_shorthand(v, info) if k in ("Resource", "NotResource") else v for k, v in s.items()}
                if isinstance(s, dict) else s for s in items]
    return {**raw, "Statement": expanded}


def _decidable_early(s: Statement) -> bool:
    if s.allow:
        return False
    if s.principals is not None and (s.principals_negated or not s.principals.any):
        return False
    return not any(c.key_lower.startswith(_CALLER_KEYS) for c in s.conditions)


def _deny(principal: str, resource: str, explicit: bool, authorizer: str, kind: str,
          decision: Decision) -> Decision:
    reason = "policy.explicit_deny" if explicit else "policy.implicit_deny"
    err = GatewayError(ResponseType.ACCESS_DENIED, reason, denial_message(principal, resource, explicit),
                       body_key="Message")
    return Decision(Outcome.DENY, reason, authorizer, kind, decision.principal, err, decision.extra)


class ResourcePolicyGate(PolicyGate):
    def __init__(self, document: PolicyDocument, info: ApiInfo, clock: Clock) -> None:
        self.document = document
        self.early = PolicyDocument(tuple(s for s in document.statements if _decidable_early(s)))
        self.info = info
        self.clock = clock

    async def pre_check(self, req: GatewayRequest, match: Match) -> None:
        if not self.early.statements:
            return
        ctx = request_context(req, self.clock)
        if evaluate((self.early,), INVOKE, match.method_arn, ctx, ANONYMOUS) is Effect.EXPLICIT_DENY:
            raise GatewayError(ResponseType.ACCESS_DENIED, "policy.explicit_deny",
                               denial_message(ANONYMOUS, match.method_arn, True), body_key="Message")

    async def combine(self, req: GatewayRequest, match: Match, decision: Decision) -> Decision:
        if decision.outcome in (Outcome.UNAUTHORIZED, Outcome.ERROR):
            return decision
        iam = decision.principal.iam if decision.kind == "iam" else None
        principal = iam.caller_arn if iam is not None else ANONYMOUS
        ctx = request_context(req, self.clock)
        if iam is not None:
            ctx.update(decision.extra.get("iam_context") or {})
        resource_effect = evaluate((self.document,), INVOKE, match.method_arn, ctx, principal)
        identity = self._identity_effect(decision)
        if identity is None:  # a denial that is not a policy outcome (e.g. missing scopes): it stands
            return decision
        explicit = Effect.EXPLICIT_DENY in (resource_effect, identity)
        if iam is not None and iam.account_id != self.info.account_id:
            allowed = not explicit and identity is Effect.ALLOW and resource_effect is Effect.ALLOW
        else:
            allowed = not explicit and Effect.ALLOW in (identity, resource_effect)
        if allowed:
            if decision.allowed:
                return decision
            return Decision.allow("policy.resource_allow", authorizer=decision.authorizer, kind=decision.kind,
                                  principal=decision.principal, extra=decision.extra)
        if not decision.allowed and resource_effect is not Effect.EXPLICIT_DENY and iam is None:
            return decision  # the authorizer's own denial (its message) stands
        return _deny(principal, match.method_arn, explicit, decision.authorizer, decision.kind, decision)

    @staticmethod
    def _identity_effect(decision: Decision) -> Effect | None:
        if decision.kind in ("iam", "lambda"):
            raw = decision.extra.get("policy_effect")
            if raw is not None:
                return Effect(raw)
            return Effect.ALLOW if decision.allowed else None
        return Effect.IMPLICIT_DENY if decision.allowed else None  # none, user_pool, jwt: explicit allow needed

    def describe(self, match: Match | None = None) -> str:
        """What the policy says about one route's method ARN (for `gatepost explain`)."""
        if match is None:
            return (f"resource policy ({len(self.document.statements)} statements, {len(self.early.statements)} "
                    "checked before the authorizer)")
        parts = []
        for label, allow in (("allow", True), ("deny", False)):
            hits = [s for s in self.document.statements if s.allow is allow and self._names(s, match.method_arn)]
            if hits:
                conditional = sum(1 for s in hits if s.conditions)
                parts.append(f"{label}" + (f" ({conditional} conditional)" if conditional else ""))
        if not parts:
            return "implicit deny (no statement names this route)"
        return " + ".join(parts)

    @staticmethod
    def _names(s: Statement, arn: str) -> bool:
        return (s.actions.matches(INVOKE) != s.actions_negated) and (s.resources.matches(arn) != s.resources_negated)


def build_policy_gate(raw: dict[str, Any] | None, info: ApiInfo, services: Services) -> PolicyGate:
    if raw is None:
        return NO_POLICY
    document = PolicyDocument.parse(expand_document(raw, info))  # PolicyError is a ValueError: a config issue
    return ResourcePolicyGate(document, info, services.clock)
