"""The Condition element: operators, `...IfExists`, `ForAnyValue:` / `ForAllValues:`, Null.

Semantics (IAM User Guide, "Condition operators" and "Multivalued context keys"):
- all operators of a block, and all keys of an operator, must hold (AND); the values listed for
  one key are alternatives (OR); for a negated operator (StringNotEquals, NotIpAddress, ...) the
  request value must match none of them;
- a key missing from the request context makes the condition false, except that negated operators
  are then true (as AWS documents), `...IfExists` is then true, and `Null` tests presence itself;
- `ForAnyValue:` holds when at least one request value matches (false on a missing/empty key);
  `ForAllValues:` holds when every request value matches (true on a missing/empty key);
- condition key names are case-insensitive; values as the operator defines.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.policy import values as v
from gatepost.policy.errors import PolicyError

# name -> (builder, negated)
_OPERATORS: dict[str, tuple[v.Builder, bool]] = {
    "StringEquals": (v.string_equals, False),
    "StringNotEquals": (v.string_equals, True),
    "StringEqualsIgnoreCase": (v.string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (v.string_equals_ignore_case, True),
    "StringLike": (v.string_like, False),
    "StringNotLike": (v.string_like, True),
    "NumericEquals": (v.numeric(operator.eq), False),
    "NumericNotEquals": (v.numeric(operator.eq), True),
    "NumericLessThan": (v.numeric(operator.lt), False),
    "NumericLessThanEquals": (v.numeric(operator.le), False),
    "NumericGreaterThan": (v.numeric(operator.gt), False),
    "NumericGreaterThanEquals": (v.numeric(operator.ge), False),
    "DateEquals": (v.date(operator.eq), False),
    "DateNotEquals": (v.date(operator.eq), True),
    "DateLessThan": (v.date(operator.lt), False),
    "DateLessThanEquals": (v.date(operator.le), False),
    "DateGreaterThan": (v.date(operator.gt), False),
    "DateGreaterThanEquals": (v.date(operator.ge), False),
    "Bool": (v.boolean, False),
    "BinaryEquals": (v.binary_equals, False),
    "IpAddress": (v.ip_address, False),
    "NotIpAddress": (v.ip_address, True),
    "ArnEquals": (v.arn_like, False),
    "ArnLike": (v.arn_like, False),
    "ArnNotEquals": (v.arn_like, True),
    "ArnNotLike": (v.arn_like, True),
}
_BY_LOWER = {name.lower(): (name, spec) for name, spec in _OPERATORS.items()}
_MISSING: Any = object()
_ANY, _ALL = "ForAnyValue", "ForAllValues"


def lookup(context: Mapping[str, Any], key: str, key_lower: str) -> Any:
    """The context value of a condition key (names case-insensitive), or _MISSING."""
    value = context.get(key, _MISSING)
    if value is _MISSING:
        for name, candidate in context.items():
            if name.lower() == key_lower:
                value = candidate
                break
    if value is None or (isinstance(value, list | tuple | set | frozenset) and not value):
        return _MISSING if value is None else ()
    return value


@dataclass(frozen=True)
class Clause:
    """One (operator, key, values) triple of a Condition block."""

    key: str
    key_lower: str
    matcher: v.Matcher | None  # None for Null
    negated: bool
    if_exists: bool
    set_op: str | None
    null_expected: bool = False  # Null: True means "the key must be absent"

    def test(self, value: Any) -> bool:
        assert self.matcher is not None
        return self.matcher(value) != self.negated

    def holds(self, context: Mapping[str, Any]) -> bool:
        value = lookup(context, self.key, self.key_lower)
        if self.matcher is None:
            absent = value is _MISSING or value == ()
            return absent == self.null_expected
        if value is _MISSING or value == ():
            if self.if_exists or self.set_op == _ALL:
                return True
            return self.negated and self.set_op is None
        many = isinstance(value, list | tuple | set | frozenset)
        items = value if many else (value,)
        if self.set_op == _ALL:
            return all(self.test(x) for x in items)
        if self.set_op == _ANY or not self.negated:
            return any(self.test(x) for x in items)
        return all(self.test(x) for x in items)


def _split_operator(raw: str, where: str) -> tuple[str | None, str, bool]:
    set_op = None
    name = raw
    for prefix in (_ANY, _ALL):
        if name.lower().startswith(prefix.lower() + ":"):
            set_op, name = prefix, name[len(prefix) + 1 :]
    if_exists = len(name) > 8 and name.lower().endswith("ifexists")
    if if_exists:
        name = name[: -len("IfExists")]
    if name.lower() == "null":
        if if_exists or set_op:
            raise PolicyError(f"{where}: Null cannot take IfExists or a set operator")
        return None, "Null", False
    if name.lower() not in _BY_LOWER:
        raise PolicyError(f"{where}: unknown condition operator {raw!r}")
    return set_op, _BY_LOWER[name.lower()][0], if_exists


def _values(raw: Any, where: str) -> list[Any]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(x, str | int | float | bool) for x in items):
        raise PolicyError(f"{where}: condition values must be a string, number, boolean or a non-empty list of them")
    return items


def _null_expected(values: list[Any], where: str) -> bool:
    texts = {v.as_text(x).lower() for x in values}
    if len(texts) != 1 or not texts <= {"true", "false"}:
        raise PolicyError(f"{where}: Null takes true (key absent) or false (key present)")
    return texts == {"true"}


def parse_condition(raw: Any, where: str) -> tuple[Clause, ...]:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operator -> {{key: values}}")
    clauses: list[Clause] = []
    for op_raw, block in raw.items():
        place = f"{where}.{op_raw}"
        if not isinstance(block, Mapping) or not block:
            raise PolicyError(f"{place}: must be a non-empty object of condition key -> values")
        set_op, name, if_exists = _split_operator(str(op_raw), place)
        for key, values_raw in block.items():
            if not isinstance(key, str) or not key:
                raise PolicyError(f"{place}: condition keys must be non-empty strings")
            values = _values(values_raw, f"{place}.{key}")
            if name == "Null":
                clauses.append(Clause(key, key.lower(), None, False, False, None, _null_expected(values, place)))
                continue
            builder, negated = _OPERATORS[name]
            matcher = builder(values, f"{place}.{key}")
            clauses.append(Clause(key, key.lower(), matcher, negated, if_exists, set_op))
    return tuple(clauses)
