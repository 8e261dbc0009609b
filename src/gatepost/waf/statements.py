"""Match statements: each one is a frozen object whose `match(inspection)` answers True or False.

Component statements (byte, regex, size, SQLi, XSS) inspect a FieldToMatch after its text transformations
and match when any of the component's values matches (a repeated header or query argument is inspected
value by value); an absent component never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gatepost.waf.fields import Field
from gatepost.waf.inspection import Inspection, Values
from gatepost.waf.transforms import Transform

_WORD = "A-Za-z0-9_"


@dataclass(frozen=True, slots=True)
class Test:
    """A test of one (transformed) value: `call(value)`, and the same test as a Python expression over `{v}`
    (with `{c}` for `const`, or for `call` when there is none) for the compiled evaluator (compiled.py)."""

    call: Callable[[str], bool]
    expression: str = "{c}({v})"
    const: object = None


class Statement:
    __slots__ = ()

    def match(self, insp: Inspection) -> bool:
        raise NotImplementedError


class Inspect(Statement):
    """A statement over one request component with its text transformations and a test of each value."""

    __slots__ = ("direct", "field", "memo_key", "names", "test", "tester", "transform")

    def __init__(self, field: Field, names: tuple[str, ...], transform: Transform, test: Test) -> None:
        self.field = field
        self.names = names  # the TextTransformations' types, in order (NONE left out)
        self.transform = transform
        # the per-request memo's key: the component after these transformations (or as extracted)
        self.memo_key: tuple[object, ...] = (field.key, names) if names else field.key
        self.tester = test
        self.test = test.call
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


def positional_test(constraint: str, search: str) -> Test:
    """ByteMatchStatement's PositionalConstraint (case-sensitive, as AWS: use LOWERCASE to ignore case)."""
    if constraint == "EXACTLY":
        return Test(search.__eq__, "{v} == {c}", search)
    if constraint == "STARTS_WITH":
        return Test(lambda v: v.startswith(search), "{v}.startswith({c})", search)
    if constraint == "ENDS_WITH":
        return Test(lambda v: v.endswith(search), "{v}.endswith({c})", search)
    if constraint == "CONTAINS":
        return Test(lambda v: search in v, "{c} in {v}", search)
    word = re.compile(f"(?<![{_WORD}]){re.escape(search)}(?![{_WORD}])")  # CONTAINS_WORD
    return Test(lambda v: search in v and word.search(v) is not None)


_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<")


def regex_test(patterns: tuple[re.Pattern[str], ...]) -> Test:
    """RegexMatchStatement (one pattern) and RegexPatternSetReferenceStatement (any of the set's patterns: one
    alternation, searched once, unless a pattern refers to its own groups by number or name)."""
    if len(patterns) > 1 and not any(_GROUP_REFERENCE.search(p.pattern) for p in patterns):
        try:
            patterns = (re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags),)
        except re.error:  # e.g. two patterns naming the same group
            pass
    if len(patterns) == 1:
        search = patterns[0].search
        return Test(lambda v: search(v) is not None, "{c}({v}) is not None", search)
    return Test(lambda v: any(p.search(v) is not None for p in patterns))


_COMPARE: dict[str, tuple[Callable[[int, int], bool], str]] = {
    "EQ": (int.__eq__, "=="), "NE": (int.__ne__, "!="), "LE": (int.__le__, "<="), "LT": (int.__lt__, "<"),
    "GE": (int.__ge__, ">="), "GT": (int.__gt__, ">"),
}


def size_test(operator: str, size: int) -> Test:
    """SizeConstraintStatement: the transformed value's length in bytes against Size."""
    compare, symbol = _COMPARE[operator]
    return Test(lambda v: compare(len(v), size), f"len({{v}}) {symbol} {{c}}", size)


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
        return any(self.matches(label) for label in insp.labels)

    def matches(self, label: str) -> bool:
        key = self.key
        qualified = key.startswith("awswaf:")
        if not qualified and not label.startswith(self.context):
            return False
        if self.scope == "LABEL":
            return label == key or label.endswith(":" + key)
        namespace = label[:label.rfind(":") + 1]
        return namespace.startswith(key) if qualified else (":" + key) in (":" + namespace)
