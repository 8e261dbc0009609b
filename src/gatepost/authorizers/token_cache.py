"""The verified-token cache: a token that passed signature and time checks once is not verified again.

Keyed by SHA-256 of the token (the token itself is never stored), bounded in size (oldest entries leave
first), and an entry is never served at or past its `valid_until` (the token's `exp` plus the configured
leeway). The caller also re-checks that the signing key is still published before trusting a hit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class VerifiedTokenCache(Generic[T]):
    __slots__ = ("_entries", "max_entries")

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[T, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: bytes, now: float) -> T | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if now >= entry[1]:
            self._entries.pop(digest, None)
            return None
        return entry[0]

    def put(self, digest: bytes, value: T, valid_until: float) -> None:
        if self.max_entries <= 0:
            return
        entries = self._entries
        if digest not in entries and len(entries) >= self.max_entries:
            del entries[next(iter(entries))]  # dicts keep insertion order: drop the oldest
        entries[digest] = (value, valid_until)

    def discard(self, digest: bytes) -> None:
        self._entries.pop(digest, None)

    def discard_if(self, predicate: Callable[[T], bool]) -> int:
        """Drop every entry whose value matches (e.g. tokens of revoked sessions); returns how many."""
        gone = [d for d, (value, _) in self._entries.items() if predicate(value)]
        for digest in gone:
            del self._entries[digest]
        return len(gone)
