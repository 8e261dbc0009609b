"""Store protocols. Every backend of a role passes the same contract suite (tests/stores/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Doc = dict[str, Any]


class Catalog(Protocol):
    """The durable catalog: JSON documents in named collections (api keys, IAM principals, users...).

    Synchronous: the CLI calls it directly; the gateway calls it from background threads, never on the
    request path (running gateways keep in-memory snapshots, refreshed when `version` moves).
    """

    def get(self, collection: str, key: str) -> Doc | None: ...

    def put(self, collection: str, key: str, doc: Doc) -> None: ...

    def put_many(self, collection: str, items: list[tuple[str, Doc]]) -> None: ...

    def insert(self, collection: str, key: str, doc: Doc) -> bool:
        """Create only: False (and nothing written) when the key exists."""
        ...

    def update(self, collection: str, key: str, fn: Callable[[Doc | None], Doc | None]) -> Doc | None:
        """Atomic read-modify-write: `fn(current)` returns the new document (None deletes)."""
        ...

    def delete(self, collection: str, key: str) -> bool: ...

    def list(self, collection: str, prefix: str = "") -> list[tuple[str, Doc]]:
        """All documents of a collection whose key starts with `prefix`, ordered by key."""
        ...

    def version(self, collection: str = "*") -> int:
        """A number that grows with every write to `collection` ("*": any collection)."""
        ...

    def close(self) -> None: ...


class Cache(Protocol):
    """Short-lived values with a TTL (authorizer results, verified tokens). Async: it may be Redis."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> int: ...

    async def close(self) -> None: ...
