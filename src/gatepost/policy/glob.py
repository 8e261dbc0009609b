"""IAM wildcards: `*` (any run of characters, crossing `/` and `:`) and `?` (one character).

Patterns compile once to a regex; a set of patterns matches with one set lookup for the literal
ones and one alternation regex for the wildcard ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_regex_source(pattern: str) -> str:
    parts: list[str] = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def compile_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_regex_source(pattern), flags)


@dataclass(frozen=True)
class GlobSet:
    """Matches a string against any of several IAM wildcard patterns."""

    literals: frozenset[str]
    regex: re.Pattern[str] | None
    ignore_case: bool
    match_all: bool

    @classmethod
    def of(cls, patterns: Iterable[str], *, ignore_case: bool = False) -> GlobSet:
        pats = list(patterns)
        fold = str.lower if ignore_case else str
        literals = frozenset(fold(p) for p in pats if not has_wildcard(p))
        wild = [p for p in pats if has_wildcard(p)]
        match_all = "*" in wild
        regex = None
        if wild and not match_all:
            source = "|".join(f"(?:{glob_regex_source(p)})" for p in wild)
            regex = re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
        return cls(literals, regex, ignore_case, match_all)

    def matches(self, value: str) -> bool:
        if self.match_all:
            return True
        if (value.lower() if self.ignore_case else value) in self.literals:
            return True
        return self.regex is not None and self.regex.fullmatch(value) is not None
