"""A YAML document and where each of its nodes sits: the first step of loading any config file.

Both the native loader (config/load.py) and the OpenAPI import (openapi/) read documents through
`Located`, so this module imports neither: config/load.py -> openapi/ -> config/located.py.
`interpolate` replaces ${ENV} references, locating each unset variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from gatepost.config.yaml_keys import duplicate_keys
from gatepost.errors import ConfigError, ConfigIssue

Loc = tuple[str | int, ...]
_ENV = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Located:
    """The YAML document plus where each node sits, for error messages."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines: dict[Loc, int] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            if node is not None:
                self._refuse_duplicates(node)
            self.data: Any = yaml.SafeLoader("").construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"{file}:{mark.line + 1}" if mark else file
            where = f"column {mark.column + 1}" if mark else "(document)"
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError([ConfigIssue(at, where, f"not valid YAML: {problem}",
                                           "check indentation and quoting around that place, e.g. quote a value "
                                           'with ": " or braces in it: route: "GET /orders/{id}"')]) from None
        except RecursionError:
            raise ConfigError([ConfigIssue(file, "(document)", "the YAML is nested too deeply to read",
                                           "flatten it: a config needs a few levels, e.g. apis: > NAME: > routes:")
                               ]) from None
        if node is not None:
            self._index(node, (), set(), set())

    def _refuse_duplicates(self, node: yaml.Node) -> None:
        """A key written twice in one mapping is an error (yaml_keys.py says why), each one located."""
        issues = []
        for d in duplicate_keys(node):
            first = "earlier on this line" if d.first_line == d.line else f"at line {d.first_line}"
            issues.append(ConfigIssue(
                f"{self.file}:{d.line}", place((*d.loc, str(d.key))) or "(top level)",
                f"duplicate key {d.key!r}: already set {first} in the same mapping; YAML would silently keep "
                "only the last value",
                f"keep one {d.key!r} and delete the other, e.g. delete the {d.key}: "
                + ("written second on this line" if d.first_line == d.line else f"on line {d.line}")))
        if issues:
            raise ConfigError(issues)

    def _index(self, node: yaml.Node, loc: Loc, inside: set[int], seen: set[int]) -> None:
        """Lines by place. A node reached again through an alias is not walked again (its first place has its
        lines: no exponential walk of aliases of aliases); one inside itself is refused."""
        if id(node) in inside:
            raise ConfigError([self.issue(loc, "a YAML alias refers to a node that contains it: the value would "
                                               "be infinite", "write out the values the alias should repeat, e.g. "
                                               "a list of routes copied where the alias (*name) was")])
        self.lines[loc] = node.start_mark.line + 1
        if id(node) in seen:
            return
        seen.add(id(node))
        inside.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[(*loc, key.value)] = key.start_mark.line + 1
                self._index(value, (*loc, key.value), inside, seen)
                self.lines[(*loc, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, (*loc, i), inside, seen)
        inside.discard(id(node))

    def line(self, loc: Loc) -> int | None:
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())

    def issue(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        line = self.line(loc)
        where = place(loc) or "(top level)"
        return ConfigIssue(f"{self.file}:{line}" if line else self.file, where, problem, fix)


def place(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def interpolate(data: Any, doc: Located, env: Mapping[str, str], loc: Loc = ()) -> tuple[Any, list[ConfigIssue]]:
    """Replace ${NAME} and ${NAME:-default} in every string; `$${` writes a literal `${`."""
    issues: list[ConfigIssue] = []

    def sub(m: re.Match[str], at: Loc) -> str:
        if m.group(0) == "$${":
            return "${"
        name, default = m.group(1), m.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        issues.append(doc.issue(at, f"environment variable {name} is not set",
                                f"set it before starting, or give a default, e.g. export {name}=VALUE, or write "
                                f"${{{name}:-default}}"))
        return ""

    def walk(value: Any, at: Loc) -> Any:
        if isinstance(value, str):
            return _ENV.sub(lambda m: sub(m, at), value)
        if isinstance(value, dict):
            return {k: walk(v, (*at, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*at, i)) for i, v in enumerate(value)]
        return value

    return walk(data, loc), issues
