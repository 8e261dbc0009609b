"""Each Web ACL compiled once, at load, into one Python function (its evaluator): the rules in priority order as
straight-line code, with no call per statement.

What the function does per request, exactly as `WebAcl.interpret` (the reference the tests compare it with):
- every request component (FieldToMatch) is read at most once, and every chain of text transformations over
  it is computed at most once, as a local variable filled on first use (a chain's prefix shared by two
  statements is computed once too: URL_DECODE then LOWERCASE reuses URL_DECODE's result);
- byte matches are `str` operations on constants (`==`, `startswith`, `in`), sizes `len()`, a regex one
  precompiled `search`, IP sets integer lookups on the caller's address parsed once;
- AND / OR / NOT short-circuit in statement order, rules stop at the first Allow or Block;
- statements with no inline form (forwarded-IP sets, geo, labels, the injection detectors' tests, ...) call
  their own `match`, so nothing is reimplemented twice without a test comparing the two.

A document the generator cannot turn into a function (nesting deeper than Python's parser allows) keeps the
interpreted evaluator: slower, same answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from gatepost.waf.inspection import Inspection, Networks
from gatepost.waf.ipsets import IPSetReference, address_number
from gatepost.waf.rate import Window
from gatepost.waf.rules import COUNT, Action, Rule, Verdict
from gatepost.waf.statements import And, Inspect, LabelMatch, Not, Or, Statement
from gatepost.waf.transforms import TRANSFORMS

if TYPE_CHECKING:
    from gatepost.request import GatewayRequest
    from gatepost.waf.rate import RateCounters

log = logging.getLogger("gatepost.waf")
Evaluator = Callable[["GatewayRequest", float, "RateCounters"], Awaitable["Verdict"]]
_UNSET = object()  # a per-request local not computed yet


class _Writer:
    """Python source for one ACL's evaluator, and the objects it refers to by name."""

    def __init__(self, name: str, rules: tuple[Rule, ...]) -> None:
        self.acl_name = name
        self.names: dict[str, Any] = {"_U": _UNSET, "_Inspection": Inspection, "_number": address_number,
                                      "_Verdict": Verdict, "_Window": Window}
        self.ids: dict[int, str] = {}
        self.lines: list[str] = []
        self.locals: list[str] = []  # lazily filled per-request values, reset to _U at the top
        self.memo: dict[object, str] = {}  # component key / (key, transformations) -> its local
        self.uses: dict[object, int] = {}
        self.temps = 0
        self.labels = frozenset(label for rule in rules for label in rule.labels)  # all it can add
        for st in _inspects(rules):
            for i in range(len(st.names) + 1):
                key = (st.field.key, st.names[:i])
                self.uses[key] = self.uses.get(key, 0) + 1

    def ref(self, obj: object, prefix: str = "k") -> str:
        """A name bound to `obj` in the function's globals."""
        name = self.ids.get(id(obj))
        if name is None:
            name = self.ids[id(obj)] = f"_{prefix}{len(self.names)}"
            self.names[name] = obj
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def temp(self) -> str:
        self.temps += 1
        return f"r{self.temps}"

    def lazy(self, key: object) -> tuple[str, bool]:
        """The local holding `key`'s value; True when it was just created."""
        name = self.memo.get(key)
        if name is not None:
            return name, False
        name = self.memo[key] = f"v{len(self.memo)}"
        self.locals.append(name)
        return name, True

    # request components and transformations --------------------------------------------------------

    def single(self, st: Inspect, depth: int, indent: int) -> str:
        """An expression for a single-valued component after its first `depth` transformations."""
        if depth == 0:
            return f"req.{st.field.attr}"
        step = self.ref(TRANSFORMS[st.names[depth - 1]], "t")
        key = (st.field.key, st.names[:depth])
        if self.uses[key] < 2:
            return f"{step}({self.single(st, depth - 1, indent)})"
        name, _ = self.lazy(key)
        self.emit(indent, f"if {name} is _U:")
        self.emit(indent + 1, f"{name} = {step}({self.single(st, depth - 1, indent + 1)})")
        return name

    def values(self, st: Inspect, indent: int) -> tuple[str, int]:
        """(a local holding the component's values after the deepest shared transformation prefix, its depth)."""
        depth = max(i for i in range(len(st.names) + 1) if i == 0 or self.uses[(st.field.key, st.names[:i])] > 1)
        return self._values(st, depth, indent), depth

    def _values(self, st: Inspect, depth: int, indent: int) -> str:
        key = (st.field.key, st.names[:depth])
        name, _ = self.lazy(key)
        self.emit(indent, f"if {name} is _U:")
        if depth == 0:
            self.emit(indent + 1, f"{name} = {self.ref(st.field.read, 'f')}(insp)")
            return name
        parent = self._values(st, depth - 1, indent + 1)
        step = self.ref(TRANSFORMS[st.names[depth - 1]], "t")
        self.emit(indent + 1, f"{name} = {parent} if {parent}.__class__ is bool else "
                              f"tuple([{step}(x) for x in {parent}])")
        return name

    def test(self, st: Inspect, value: str) -> str:
        tester = st.tester
        const = self.ref(tester.call if tester.const is None else tester.const, "c")
        return "(" + tester.expression.format(v=value, c=const) + ")"

    # statements ----------------------------------------------------------------------------------------

    def condition(self, st: Statement, indent: int) -> str:
        """Emits what `st` needs at `indent` and returns a boolean expression of its outcome."""
        if isinstance(st, Inspect):
            if st.field.attr is not None:
                return self.test(st, self.single(st, len(st.names), indent))
            return self.inspect_values(st, indent)
        if isinstance(st, IPSetReference) and st.forwarded is None:
            return self.ip_set(st, indent)
        if isinstance(st, LabelMatch):  # the labels a request can carry are known: those of this ACL's rules
            matching = frozenset(label for label in self.labels if st.matches(label))
            return f"(not {self.ref(matching, 'm')}.isdisjoint(labels))" if matching else "False"
        if isinstance(st, Not):
            return f"(not {self.condition(st.inner, indent)})"
        if isinstance(st, (And, Or)):
            result = self.temp()
            self.emit(indent, f"{result} = {self.condition(st.parts[0], indent)}")
            for part in st.parts[1:]:
                self.emit(indent, f"if {'' if isinstance(st, And) else 'not '}{result}:")
                self.emit(indent + 1, f"{result} = {self.condition(part, indent + 1)}")
            return result
        return f"{self.ref(st, 's')}.match(insp)"

    def inspect_values(self, st: Inspect, indent: int) -> str:
        values, depth = self.values(st, indent)
        value = "x"
        for name in st.names[depth:]:
            value = f"{self.ref(TRANSFORMS[name], 't')}({value})"
        result = self.temp()
        self.emit(indent, f"if {values}.__class__ is bool:")
        self.emit(indent + 1, f"{result} = {values}")
        self.emit(indent, "else:")
        self.emit(indent + 1, f"{result} = False")
        self.emit(indent + 1, f"for x in {values}:")
        self.emit(indent + 2, f"if {self.test(st, value)}:")
        self.emit(indent + 3, f"{result} = True")
        self.emit(indent + 3, "break")
        return result

    def ip_set(self, st: IPSetReference, indent: int) -> str:
        ip, _ = self.lazy("caller-address")
        self.emit(indent, f"if {ip} is _U:")
        self.emit(indent + 1, f"{ip} = _number(req.source_ip)")
        tests = []
        for (version, plen), nets in st.ip_set.prefixes.items():
            shift = (32 if version == 4 else 128) - plen
            tests.append(f"({ip}[0] == {version} and ({ip}[1] >> {shift}) in {self.ref(nets, 'n')})")
        return f"({ip} is not None and ({' or '.join(tests) or 'False'}))"

    # rules -------------------------------------------------------------------------------------------

    def rule(self, rule: Rule) -> None:
        name = self.ref(rule.name, "r")
        if rule.rate is not None:
            hit = self.temp()
            self.emit(1, f"{hit} = False")
            rate = self.ref(rule.rate, "rate")
            indent = 1
            if rule.rate.scope_down is not None:
                self.emit(1, f"if {self.condition(rule.rate.scope_down, 1)}:")
                indent = 2
            self.emit(indent, f"{hit} = {rate}.quota(insp)")  # None: not counted, True: matched uncounted
            self.emit(indent, f"if {hit} is not None and {hit} is not True:")
            self.emit(indent + 1, f"if {hit}.__class__ is _Window:")  # the previous window's count: read once
            self.emit(indent + 2, f"{hit} = await {rate}.learn({hit}, now, counters)")
            self.emit(indent + 1, f"{hit} = await counters.over({hit}, now)")
            condition = hit
        else:
            assert rule.statement is not None
            condition = self.condition(rule.statement, 1)
        self.emit(1, f"if {condition}:")
        if rule.labels:
            self.emit(2, f"labels.extend({self.ref(rule.labels, 'l')})")
        if rule.action.kind == COUNT:
            self.emit(2, f"counted += ({name},)")
        else:
            self.emit(2, f"return _Verdict({self.ref(self.acl_name, 'r')}, {self.ref(rule.action, 'a')}, {name}, "
                         "tuple(labels), counted)")

    def source(self, rules: tuple[Rule, ...], default: Action, default_verdict: Verdict, body_limit: int,
               trusted: Networks) -> str:
        for rule in rules:
            self.rule(rule)
        head = ["async def evaluate(req, now, counters):",
                f"    insp = _Inspection(req, {self.ref(body_limit, 'b')}, {self.ref(trusted, 'p')}, now)",
                "    labels = insp.labels",
                "    counted = ()"]
        if self.locals:
            head.append(f"    {' = '.join(self.locals)} = _U")
        tail = ["    if counted or labels:",
                f"        return _Verdict({self.ref(self.acl_name, 'r')}, {self.ref(default, 'a')}, None, "
                "tuple(labels), counted)",
                f"    return {self.ref(default_verdict, 'd')}"]
        return "\n".join(head + self.lines + tail) + "\n"


def _inspects(rules: tuple[Rule, ...]) -> list[Inspect]:
    out: list[Inspect] = []

    def walk(st: Statement | None) -> None:
        if isinstance(st, Inspect):
            out.append(st)
        elif isinstance(st, (And, Or)):
            for part in st.parts:
                walk(part)
        elif isinstance(st, Not):
            walk(st.inner)

    for rule in rules:
        walk(rule.statement if rule.rate is None else rule.rate.scope_down)
    return out


def compile_acl(name: str, rules: tuple[Rule, ...], default: Action, default_verdict: Verdict, body_limit: int,
                trusted: Networks) -> tuple[Evaluator, str] | None:
    """(the ACL's evaluator, its source) or None when the generator cannot express it (interpreted then)."""
    writer = _Writer(name, rules)
    try:
        source = writer.source(rules, default, default_verdict, body_limit, trusted)
        code = compile(source, "<web acl>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        log.warning("waf.interpreted acl=%s reason=%s", name, type(exc).__name__)
        return None
    namespace = dict(writer.names)
    exec(code, namespace)  # our own generated source: no request or config text is in it (names are bound)
    return namespace["evaluate"], source
