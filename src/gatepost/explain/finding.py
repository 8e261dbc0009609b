"""One `gatepost audit` finding: a severity, a stable rule code, where, what, and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("info", "low", "medium", "high")


@dataclass(frozen=True)
class Finding:
    severity: str
    rule: str
    api: str
    target: str  # a route key, an authorizer name, or "(api)"
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def rank(severity: str) -> int:
    return SEVERITIES.index(severity)
