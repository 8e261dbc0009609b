"""Match statements: each one is a frozen object whose `match(inspection)` answers True or False.

Component statements (byte, regex, size, SQLi, XSS) inspect a FieldToMatch after its text transformations
and match when any of the component's values matches (a repeated header or query argument is inspected
value by value); an absent component never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gatepost.waf.fields import Field
from gatepost.waf.inspection import Inspection, Values
from gatepost.waf.transforms import Transform

_WORD = "A-Za-z0-9_"


class Statement:
    __slots__ = ()

    def match(self, insp: Inspection) -> bool:
        raise NotImplementedError


class Inspect(Statement):
    """A statement over one request component with its text transformations and a test of each value."""

    __slots__ = ("direct", "field", "memo_key", "test", "transform")

    def __init__(self, field: Field, names: tuple[str, ...], transform: Transform,
                 test: Callable[[str], bool]) -> None:
        self.field = field
        self.transform = transform
        # the per-request memo's key: the component after these transformations (or as extracted)
        self.memo_key: tuple[object, ...] = (field.key, names) if names else field.key
        self.test = test
        self.direct = False  # set by share_components: no other statement of the ACL reads this component

    def match(self, insp: Inspection) -> bool:
        if self.direct:  # nothing to share: read, transform and test in one pass
            values = self.field.read(insp)
            if isinstance(values, bool):
                return values
            test, transform = self.test, self.transform
            for v in values:  # noqa: SIM110 (a loop: cheaper than any() here)
                if test(transform(v)):
                    return True
            return False
        return self.shared_match(insp)

    def candidates(self, insp: Inspection) -> Values:
        found = insp.memo.get(self.memo_key)
        if found is None:
            values = self.field.values(insp)
            found = values if values.__class__ is bool or self.memo_key is self.field.key else tuple(
                [self.transform(v) for v in values])  # type: ignore[union-attr]
            insp.memo[self.memo_key] = found
        return found

    def shared_match(self, insp: Inspection) -> bool:
        values: Values = insp.memo.get(self.memo_key) or self.candidates(insp)
        if isinstance(values, bool):
            return values
        test = self.test
        for v in values:  # noqa: SIM110 (a loop: cheaper than any() here)
            if test(v):
                return True
        return False


def positional_test(constraint: str, search: str) -> Callable[[str], bool]:
    """ByteMatchStatement's PositionalConstraint (case-sensitive, as AWS: use LOWERCASE to ignore case)."""
    if constraint == "EXACTLY":
        return search.__eq__
    if constraint == "STARTS_WITH":
        return lambda v: v.startswith(search)
    if constraint == "ENDS_WITH":
        return lambda v: v.endswith(search)
    if constraint == "CONTAINS":
        return lambda v: search in v
    word = re.compile(f"(?<![{_WORD}]){re.escape(search)}(?![{_WORD}])")  # CONTAINS_WORD
    return lambda v: search in v and word.search(v) is not None


_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<")


def regex_test(patterns: tuple[re.Pattern[str], ...]) -> Callable[[str], bool]:
    """RegexMatchStatement (one pattern) and RegexPatternSetReferenceStatement (any of the set's patterns: one
    alternation, searched once, unless a pattern refers to its own groups by number or name)."""
    if len(patterns) > 1 and not any(_GROUP_REFERENCE.search(p.pattern) for p in patterns):
        try:
            patterns = (re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags),)
        except re.error:  # e.g. two patterns naming the same group
            pass
    if len(patterns) == 1:
        search = patterns[0].search
        return lambda v: search(v) is not None
    return lambda v: any(p.search(v) is not None for p in patterns)


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "EQ": int.__eq__, "NE": int.__ne__, "LE": int.__le__, "LT": int.__lt__, "GE": int.__ge__, "GT": int.__gt__,
}


def size_test(operator: str, size: int) -> Callable[[str], bool]:
    """SizeConstraintStatement: the transformed value's length in bytes against Size."""
    compare = _COMPARE[operator]
    return lambda v: compare(len(v), size)


def inspecting(statement: object) -> list[Inspect]:
    """Every component statement in a statement tree."""
    if isinstance(statement, Inspect):
        return [statement]
    if isinstance(statement, (And, Or)):
        return [i for part in statement.parts for i in inspecting(part)]
    if isinstance(statement, Not):
        return inspecting(statement.inner)
    return []


def share_components(statements: list[Inspect]) -> None:
    """Statements whose component (as extracted, or after the same transformations) no other statement of the
    ACL reads skip the per-request memo."""
    uses: dict[object, int] = {}
    for st in statements:
        for key in {st.memo_key, st.field.key}:
            uses[key] = uses.get(key, 0) + 1
    for st in statements:
        st.direct = uses[st.memo_key] == 1 and uses[st.field.key] == 1


class And(Statement):
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Statement, ...]) -> None:
        self.parts = parts

    def match(self, insp: Inspection) -> bool:
        return all(p.match(insp) for p in self.parts)


class Or(Statement):
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Statement, ...]) -> None:
        self.parts = parts

    def match(self, insp: Inspection) -> bool:
        return any(p.match(insp) for p in self.parts)


class Not(Statement):
    __slots__ = ("inner",)

    def __init__(self, inner: Statement) -> None:
        self.inner = inner

    def match(self, insp: Inspection) -> bool:
        return not self.inner.match(insp)


class LabelMatch(Statement):
    """Labels added by earlier rules of this ACL. A key that is not fully qualified (`awswaf:...`) is searched
    among the labels of this ACL's own context, matching whole colon-separated components."""

    __slots__ = ("context", "key", "scope")

    def __init__(self, scope: str, key: str, context: str) -> None:
        self.scope = scope
        self.key = key
        self.context = context  # awswaf:{account}:webacl:{name}:

    def match(self, insp: Inspection) -> bool:
        key = self.key
        qualified = key.startswith("awswaf:")
        for label in insp.labels:
            if not qualified and not label.startswith(self.context):
                continue
            if self.scope == "LABEL":
                if label == key or label.endswith(":" + key):
                    return True
            else:
                namespace = label[:label.rfind(":") + 1]
                if namespace.startswith(key) if qualified else (":" + key) in (":" + namespace):
                    return True
        return False
