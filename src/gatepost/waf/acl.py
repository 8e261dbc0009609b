"""A compiled Web ACL: rules in priority order, their actions, labels, and the DefaultAction.

AWS's evaluation: rules run from the lowest Priority up; a matching rule adds its RuleLabels; Count records the
match and goes on; Allow and Block stop the evaluation; when no rule stops it the DefaultAction applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gatepost.request import GatewayRequest
from gatepost.waf.compiled import Evaluator, compile_acl
from gatepost.waf.inspection import Inspection, Networks
from gatepost.waf.rate import Admit, RateBased
from gatepost.waf.statements import Statement

ALLOW, BLOCK, COUNT = "ALLOW", "BLOCK", "COUNT"
DEFAULT_BODY_LIMIT = 16 * 1024  # API Gateway's default body inspection limit on AWS (AssociationConfig)


@dataclass(frozen=True, slots=True)
class CustomResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    content_type: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # ALLOW | BLOCK | COUNT
    response: CustomResponse | None = None  # Block's CustomResponse


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    name: str
    priority: int
    action: Action
    labels: tuple[str, ...]  # fully qualified: awswaf:{account}:webacl:{acl}:{RuleLabels[].Name}
    statement: Statement | None = None
    rate: RateBased | None = None

    def describe(self) -> str:
        return f"{self.priority} {self.name} -> {self.action.kind}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One evaluation's outcome, for the pipeline and the access log (rule names and labels, never values)."""

    acl: str
    action: Action
    rule: str | None = None  # the terminating rule; None: DefaultAction
    labels: tuple[str, ...] = ()
    counted: tuple[str, ...] = ()  # Count rules that matched

    @property
    def blocked(self) -> bool:
        return self.action.kind == BLOCK

    def log(self) -> dict[str, object]:
        rec: dict[str, object] = {"acl": self.acl, "action": self.action.kind, "rule": self.rule or "Default_Action"}
        if self.labels:
            rec["labels"] = list(self.labels)
        if self.counted:
            rec["counted"] = list(self.counted)
        return rec

    @property
    def fired(self) -> tuple[str, ...]:
        """Every rule that matched: the counted ones, then the terminating one."""
        return self.counted + ((self.rule,) if self.rule else ())


@dataclass(frozen=True, slots=True, eq=False)
class WebAcl:
    name: str
    default: Action
    rules: tuple[Rule, ...]
    label_context: str  # awswaf:{account}:webacl:{name}:
    body_limit: int = DEFAULT_BODY_LIMIT
    trusted: Networks = ()
    source: str = ""  # the file it came from, or "inline"
    default_verdict: Verdict = field(init=False)
    # `await evaluate(request, now, admit)`: the rules compiled into one function (compiled.py), or `interpret`
    evaluate: Evaluator = field(init=False)
    program: str = field(init=False, repr=False)  # the compiled function's source ("" when interpreted)

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_verdict", Verdict(self.name, self.default))
        compiled = compile_acl(self)
        object.__setattr__(self, "evaluate", compiled[0] if compiled else self.interpret)
        object.__setattr__(self, "program", compiled[1] if compiled else "")

    @property
    def has_rate_rules(self) -> bool:
        return any(r.rate is not None for r in self.rules)

    async def interpret(self, req: GatewayRequest, now: float, admit: Admit) -> Verdict:
        """The rules evaluated one statement object at a time: the reference the compiled evaluator matches."""
        insp = Inspection(req, self.body_limit, self.trusted, now)
        counted: list[str] | None = None
        for rule in self.rules:
            if rule.rate is not None:
                hit = await rule.rate.match(insp, admit)
            else:
                assert rule.statement is not None
                hit = rule.statement.match(insp)
            if not hit:
                continue
            if rule.labels:
                insp.labels.extend(rule.labels)
            if rule.action.kind == COUNT:
                counted = [*(counted or ()), rule.name]
                continue
            return Verdict(self.name, rule.action, rule.name, tuple(insp.labels), tuple(counted or ()))
        if counted is None and not insp.labels:
            return self.default_verdict
        return Verdict(self.name, self.default, None, tuple(insp.labels), tuple(counted or ()))
