"""Structured values drawn from a fuzzer's bytes (the same input always gives the same values), so one
`bytes -> None` target serves both engines (atheris mutates the bytes, hypothesis generates them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Draw:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        b = self.data[self.pos]
        self.pos += 1
        return b

    def int(self, below: int) -> int:
        """0 <= n < below (below <= 65536)."""
        return ((self.byte() << 8) | self.byte()) % below if below > 1 else 0

    def bool(self) -> bool:
        return self.byte() & 1 == 1

    def choice(self, items: Sequence[T]) -> T:
        return items[self.int(len(items))]

    def raw(self, most: int) -> bytes:
        n = min(self.int(most + 1), len(self.data) - self.pos)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def text(self, most: int = 24, alphabet: str | None = None) -> str:
        raw = self.raw(most)
        if alphabet is not None:
            return "".join(alphabet[b % len(alphabet)] for b in raw)
        return raw.decode("utf-8", "replace")

    def pick_or_text(self, items: Sequence[str], most: int = 16) -> str:
        """Mostly a word that means something to the code under test, sometimes anything."""
        return self.text(most) if self.byte() % 4 == 0 else self.choice(items)

    def json_value(self, depth: int = 0) -> Any:
        kind = self.int(9 if depth < 3 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return self.bool()
        if kind == 2:
            return self.int(65536) - 32768
        if kind == 3:
            return [1e300, -1e300, 0.5, 2**63, -(2**63) - 1, 1.0][self.int(6)]
        if kind in (4, 5):
            return self.text(12)
        if kind == 6:
            return self.choice(["*", "", "true", "false", "null", "1", "us-east-1", "arn:aws:execute-api:*"])
        if kind == 7:
            return [self.json_value(depth + 1) for _ in range(self.int(4))]
        return {self.text(6): self.json_value(depth + 1) for _ in range(self.int(4))}

    def rest(self) -> bytes:
        out = self.data[self.pos:]
        self.pos = len(self.data)
        return out
