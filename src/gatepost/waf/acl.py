"""A Web ACL: rules in priority order (rules.py), the DefaultAction, and its evaluator (compiled.py).

AWS's evaluation: rules run from the lowest Priority up; a matching rule adds its RuleLabels; Count records the
match and goes on; Allow and Block stop the evaluation; when no rule stops it the DefaultAction applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gatepost.request import GatewayRequest
from gatepost.waf.compiled import Evaluator, compile_acl
from gatepost.waf.inspection import Inspection, Networks
from gatepost.waf.rate import RateCounters
from gatepost.waf.rules import COUNT, Action, Rule, Verdict

DEFAULT_BODY_LIMIT = 16 * 1024  # API Gateway's default body inspection limit on AWS (AssociationConfig)


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
    # `await evaluate(request, now, counters)`: the rules compiled into one function (compiled.py), or `interpret`
    evaluate: Evaluator = field(init=False)
    program: str = field(init=False, repr=False)  # the compiled function's source ("" when interpreted)

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_verdict", Verdict(self.name, self.default))
        compiled = compile_acl(self.name, self.rules, self.default, self.default_verdict, self.body_limit,
                               self.trusted)
        object.__setattr__(self, "evaluate", compiled[0] if compiled else self.interpret)
        object.__setattr__(self, "program", compiled[1] if compiled else "")

    @property
    def has_rate_rules(self) -> bool:
        return any(r.rate is not None for r in self.rules)

    async def interpret(self, req: GatewayRequest, now: float, counters: RateCounters) -> Verdict:
        """The rules evaluated one statement object at a time: the reference the compiled evaluator matches."""
        insp = Inspection(req, self.body_limit, self.trusted, now)
        counted: list[str] | None = None
        for rule in self.rules:
            if rule.rate is not None:
                hit = await rule.rate.match(insp, counters)
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
