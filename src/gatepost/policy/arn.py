"""ARN helpers: split into the six fields, account of a principal, ArnLike matching per field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatepost.policy.glob import compile_glob

ACCOUNT_ID = re.compile(r"^\d{12}$")


def arn_fields(arn: str) -> list[str] | None:
    """arn:partition:service:region:account:resource -> six fields, or None when not an ARN."""
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn":
        return None
    return fields


def arn_account(arn: str) -> str | None:
    fields = arn_fields(arn)
    return fields[4] if fields and fields[4] else None


@dataclass(frozen=True, slots=True)
class ArnPattern:
    """An ArnLike/ArnEquals value: each of the six fields matched separately, with wildcards."""

    fields: tuple[re.Pattern[str], ...] | None
    whole: re.Pattern[str] | None  # a pattern that is not ARN-shaped, e.g. "*"

    @classmethod
    def of(cls, pattern: str) -> ArnPattern:
        fields = arn_fields(pattern)
        if fields is not None:
            return cls(tuple(compile_glob(f) for f in fields), None)
        if pattern.startswith("arn:"):
            return cls(None, None)  # fewer than six fields: matches no ARN
        return cls(None, compile_glob(pattern))

    def matches(self, value: str) -> bool:
        if self.fields is None:
            return self.whole is not None and self.whole.fullmatch(value) is not None
        fields = arn_fields(value)
        if fields is None:
            return False
        return all(p.fullmatch(v) is not None for p, v in zip(self.fields, fields, strict=True))
