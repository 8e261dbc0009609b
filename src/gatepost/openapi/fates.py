"""The fate of every element of an imported document: converted, converted to a documented equivalent, or
refused, each with its JSON pointer (RFC 6901). Nothing is dropped: `close` gives every part of the
document that no mapper read a refusal of its own ("not read by the importer").

A fate recorded at a pointer stands for the element's whole subtree, unless a deeper pointer has a fate of
its own: the fate of any part of the document is the one recorded at its nearest pointer. Mappers record
what they read; the walk in `close` finds the rest. This module imports nothing of Gatepost (a leaf).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Path = tuple[Any, ...]  # the same keys as config.located's Loc: mapping keys and list indexes


class Fate(StrEnum):
    CONVERTED = "converted"  # an exact native counterpart
    EQUIVALENT = "equivalent"  # converted to a documented equivalent (the detail says which)
    REFUSED = "refused"  # not carried over: the import fails unless a partial import is accepted


@dataclass(frozen=True, slots=True)
class Element:
    path: Path
    fate: Fate
    detail: str  # what it became (converted, equivalent) or why not (refused)
    fix: str = ""

    @property
    def pointer(self) -> str:
        return pointer(self.path)

    def as_dict(self) -> dict[str, str]:
        out = {"pointer": self.pointer, "fate": str(self.fate), "detail": self.detail}
        if self.fix:
            out["fix"] = self.fix
        return out


def pointer(path: Iterable[Any]) -> str:
    """RFC 6901: `("paths", "/pets", "get")` -> `/paths/~1pets/get`; the document itself is ``""``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class Ledger:
    """Fates as the mappers record them. A refusal is never overwritten by a later conversion."""

    def __init__(self) -> None:
        self._at: dict[Path, Element] = {}

    def converted(self, path: Path, to: str) -> None:
        self._put(Element(tuple(path), Fate.CONVERTED, to))

    def equivalent(self, path: Path, to: str) -> None:
        self._put(Element(tuple(path), Fate.EQUIVALENT, to))

    def refused(self, path: Path, reason: str, fix: str = "") -> None:
        path = tuple(path)
        old = self._at.get(path)
        if old is not None and old.fate is Fate.REFUSED and reason not in old.detail:
            reason, fix = f"{old.detail}; {reason}", "; ".join(f for f in (old.fix, fix) if f)
        self._at[path] = Element(path, Fate.REFUSED, reason, fix)

    def _put(self, element: Element) -> None:
        old = self._at.get(element.path)
        if old is None or old.fate is not Fate.REFUSED:
            self._at[element.path] = element

    def recorded(self, path: Path) -> Element | None:
        return self._at.get(tuple(path))

    def close(self, data: Any) -> Report:
        """Refuse every part of `data` that has no fate (at its own pointer or an enclosing one)."""
        prefixes = {p[:n] for p in self._at for n in range(len(p))}
        for path in _unread(data, (), self._at, prefixes):
            self.refused(path, "not read by the importer: nothing in Gatepost carries it over",
                         "remove it from the document, or accept a partial import (--accept-partial)")
        return Report(sorted(self._at.values(), key=lambda e: _sort_key(e.path)))


def _unread(node: Any, path: Path, recorded: Mapping[Path, Element], prefixes: set[Path]) -> Iterator[Path]:
    if path in recorded:
        return
    if path not in prefixes:
        yield path
        return
    children: Iterable[tuple[Any, Any]] = (
        node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ())
    for key, child in children:
        yield from _unread(child, (*path, key), recorded, prefixes)


def _sort_key(path: Path) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{p:09d}") if isinstance(p, int) else (1, str(p)) for p in path)


@dataclass(frozen=True, slots=True)
class Report:
    elements: list[Element]

    @property
    def refused(self) -> list[Element]:
        return [e for e in self.elements if e.fate is Fate.REFUSED]

    def fate_of(self, path: Path) -> Element | None:
        """The fate that decides `path`: the one recorded at its nearest pointer."""
        by_path = {e.path: e for e in self.elements}
        for n in range(len(path), -1, -1):
            found = by_path.get(tuple(path[:n]))
            if found is not None:
                return found
        return None

    def as_dict(self) -> dict[str, Any]:
        counts = {str(f): sum(1 for e in self.elements if e.fate is f) for f in Fate}
        return {"counts": counts, "elements": [e.as_dict() for e in self.elements]}
