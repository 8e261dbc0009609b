"""A Web ACL's rules, their actions and labels, and one evaluation's verdict (what the access log shows)."""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.waf.rate import RateBased
from gatepost.waf.statements import Statement

ALLOW, BLOCK, COUNT = "ALLOW", "BLOCK", "COUNT"


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
