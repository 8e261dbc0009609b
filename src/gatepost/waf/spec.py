"""Walking AWS WAF JSON with its place: every refusal names where it is (`Rules[2].Statement.XssMatchStatement`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class SpecError(Exception):
    """One problem in a Web ACL document: its JSON place, what is wrong, how to fix it."""

    def __init__(self, place: str, problem: str, fix: str = "") -> None:
        super().__init__(f"{place}: {problem}")
        self.place = place
        self.problem = problem
        self.fix = fix


class SpecErrors(Exception):
    """Several problems: each rule of a Web ACL is checked on its own, so one load reports them all."""

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class Node:
    """A JSON value and its place in the document."""

    __slots__ = ("place", "value")

    def __init__(self, value: Any, place: str) -> None:
        self.value = value
        self.place = place

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.place}[{key}]"
        return f"{self.place}.{key}" if self.place else key

    def obj(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise SpecError(self.place, f"expected a JSON object, found {type(self.value).__name__}")
        return self.value

    def has(self, key: str) -> bool:
        return key in self.obj()

    def get(self, key: str) -> Node | None:
        value = self.obj().get(key)
        return None if value is None else Node(value, self.at(key))

    def need(self, key: str) -> Node:
        node = self.get(key)
        if node is None:
            raise SpecError(self.at(key), f"{key} is required here", f"add \"{key}\" as AWS WAF's API documents it")
        return node

    def _member(self, key: str, default: Any, ok: Callable[[Any], bool], what: str) -> Any:
        node = self.get(key)
        if node is None:
            if default is not None:
                return default
            node = self.need(key)
        if not ok(node.value):
            raise SpecError(node.place, f"{key} must be {what}")
        return node.value

    def text(self, key: str, default: str | None = None) -> str:
        return self._member(key, default, lambda v: isinstance(v, str), "a string")

    def integer(self, key: str, default: int | None = None) -> int:
        return self._member(key, default, lambda v: isinstance(v, int) and not isinstance(v, bool),
                            "an integer")

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise SpecError(self.at(key), f"{key} {value!r} is not one of {', '.join(allowed)}")
        return value

    def items(self) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise SpecError(self.place, "expected a JSON array")
        for i, v in enumerate(self.value):
            yield Node(v, self.at(i))

    def one_key(self, what: str) -> tuple[str, Node]:
        """The single member of a union object such as a Statement or a FieldToMatch."""
        obj = self.obj()
        keys = [k for k, v in obj.items() if v is not None]
        if len(keys) != 1:
            raise SpecError(self.place, f"a {what} has exactly one member, found {len(keys)} ({', '.join(keys)})")
        return keys[0], Node(obj[keys[0]], self.at(keys[0]))
