"""RouteTable: `METHOD /path/{param}`, greedy `{proxy+}`, `ANY`, HTTP API `$default`; most specific wins.

Matching walks path segments most-specific first (literal, then `{param}`, then `{proxy+}`); the first
resource that has the request's method (or ANY) wins. AWS never answers 405: no match is the caller's
flavour-specific "no route" answer, decided by the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
DEFAULT_ROUTE = "$default"


class RouteSyntaxError(ValueError):
    """A route key or path template that cannot be served; the message says how to fix it."""


@dataclass(frozen=True)
class RouteKey:
    method: str  # GET, POST, ..., ANY
    path: str  # template, e.g. /pets/{id} or /{proxy+}; "$default" for the HTTP API catch-all

    def __str__(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


def parse_route_key(text: str) -> RouteKey:
    text = text.strip()
    if text == DEFAULT_ROUTE:
        return RouteKey("ANY", DEFAULT_ROUTE)
    method, _, path = text.partition(" ")
    method = method.upper()
    path = path.strip()
    if method not in METHODS:
        raise RouteSyntaxError(f"unknown method {method!r}; use one of {', '.join(sorted(METHODS))}")
    if not path.startswith("/"):
        raise RouteSyntaxError(f"path {path!r} must start with '/', as in 'GET /pets/{{id}}'")
    segments = split_template(path)
    names: set[str] = set()
    for i, seg in enumerate(segments):
        if seg.startswith("{") and seg.endswith("}"):
            name = seg.strip("{}+")
            if name in names:
                raise RouteSyntaxError(f"path parameter {{{name}}} appears twice in {path!r}; give each its own name")
            names.add(name)
        if seg.startswith("{") != seg.endswith("}"):
            raise RouteSyntaxError(f"segment {seg!r} is not a whole {{param}}")
        if seg.endswith("+}") and i != len(segments) - 1:
            raise RouteSyntaxError(f"greedy {seg} must be the last segment of the path")
        if seg.startswith("{") and not seg.strip("{}+"):
            raise RouteSyntaxError("a path parameter needs a name, as in {id}")
    return RouteKey(method, "/" + "/".join(segments))


def split_template(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


class _Node(Generic[T]):
    # plain classes, not dataclasses: mypyc compiles this module and cannot compile a generic dataclass
    __slots__ = ("greedy", "literal", "methods", "param")

    def __init__(self) -> None:
        self.literal: dict[str, _Node[T]] = {}
        self.param: tuple[str, _Node[T]] | None = None
        self.greedy: tuple[str, dict[str, T]] | None = None
        self.methods: dict[str, T] = {}


class Match(Generic[T]):
    __slots__ = ("key", "path_params", "value")

    def __init__(self, value: T, key: RouteKey, path_params: dict[str, str]) -> None:
        self.value = value
        self.key = key
        self.path_params = path_params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Match) and (self.value, self.key, self.path_params) == (
            other.value, other.key, other.path_params)

    def __repr__(self) -> str:
        return f"Match(value={self.value!r}, key={self.key!r}, path_params={self.path_params!r})"


class RouteTable(Generic[T]):
    """Built once at load; `match` is the only call on the request path, with the decoded canonical path
    (canonical_path.py): path parameters are its segments as they are, never decoded a second time."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._default: T | None = None
        self._keys: dict[tuple[str, str], RouteKey] = {}
        # routes without parameters, by path then method: one dict lookup instead of a walk
        self._static: dict[str, dict[str, tuple[T, RouteKey]]] = {}

    def add(self, key: RouteKey, value: T) -> None:
        if key.path == DEFAULT_ROUTE:
            if self._default is not None:
                raise RouteSyntaxError("$default is declared twice; keep one")
            self._default = value
            return
        node = self._root
        segments = split_template(key.path)
        for i, seg in enumerate(segments):
            if seg.endswith("+}"):
                name = seg[1:-2]
                if node.greedy is None:
                    node.greedy = (name, {})
                elif node.greedy[0] != name:
                    raise RouteSyntaxError(self._sibling_message(segments[:i], node.greedy[0] + "+", name + "+"))
                self._put(node.greedy[1], key)
                node.greedy[1][key.method] = value
                return
            if seg.startswith("{"):
                name = seg[1:-1]
                if node.param is None:
                    node.param = (name, _Node())
                elif node.param[0] != name:
                    raise RouteSyntaxError(self._sibling_message(segments[:i], node.param[0], name))
                node = node.param[1]
            else:
                node = node.literal.setdefault(seg, _Node())
        self._put(node.methods, key)
        node.methods[key.method] = value
        self._static.setdefault("/" + "/".join(segments), {})[key.method] = (value, key)

    def _put(self, methods: dict[str, T], key: RouteKey) -> None:
        if key.method in methods:
            raise RouteSyntaxError(f"route {key} is declared twice (or as the same path with other parameter names)")

    @staticmethod
    def _sibling_message(prefix: list[str], old: str, new: str) -> str:
        where = "/" + "/".join(prefix)
        return (f"ambiguous routes under {where!r}: path parameters {{{old}}} and {{{new}}} at the same place; "
                f"use one name for both")

    def match(self, method: str, path: str) -> Match[T] | None:
        if "//" not in path:  # the fast path: a parameterless route, same answer as the walk
            static = self._static.get(path.rstrip("/") or "/")
            if static is not None:
                hit = static.get(method) or static.get("ANY")
                if hit is not None:
                    return Match(hit[0], hit[1], {})
        segments = [s for s in path.split("/") if s] if path not in ("", "/") else []
        for methods, key_path, params in self._walk(self._root, segments, 0, {}, []):
            value = methods.get(method) or methods.get("ANY")
            if value is not None:
                m = method if method in methods else "ANY"
                return Match(value, RouteKey(m, key_path), params)
        if self._default is not None:
            return Match(self._default, RouteKey("ANY", DEFAULT_ROUTE), {})
        return None

    def _walk(self, node: _Node[T], segs: list[str], i: int, params: dict[str, str],
              tmpl: list[str]) -> Iterator[tuple[dict[str, T], str, dict[str, str]]]:
        if i == len(segs):
            if node.methods:
                yield node.methods, "/" + "/".join(tmpl), dict(params)
            return
        seg = segs[i]
        child = node.literal.get(seg)
        if child is not None:
            yield from self._walk(child, segs, i + 1, params, [*tmpl, seg])
        if node.param is not None and seg:
            name, pchild = node.param
            params[name] = seg
            yield from self._walk(pchild, segs, i + 1, params, [*tmpl, "{" + name + "}"])
            del params[name]
        if node.greedy is not None:
            name, methods = node.greedy
            yield methods, "/" + "/".join([*tmpl, "{" + name + "+}"]), {**params, name: "/".join(segs[i:])}
