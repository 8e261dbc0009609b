"""In-process stores: a Catalog for tests and throw-away runs, a Cache for one process."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.stores.base import Doc


class MemoryCatalog:
    def __init__(self) -> None:
        self._data: dict[str, dict[str, Doc]] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.RLock()

    def _bump(self, collection: str) -> None:
        self._versions[collection] = self._versions.get(collection, 0) + 1
        self._versions["*"] = self._versions.get("*", 0) + 1

    def get(self, collection: str, key: str) -> Doc | None:
        with self._lock:
            doc = self._data.get(collection, {}).get(key)
            return copy.deepcopy(doc) if doc is not None else None

    def put(self, collection: str, key: str, doc: Doc) -> None:
        self.put_many(collection, [(key, doc)])

    def put_many(self, collection: str, items: list[tuple[str, Doc]]) -> None:
        with self._lock:
            table = self._data.setdefault(collection, {})
            for key, doc in items:
                table[key] = copy.deepcopy(doc)
            self._bump(collection)

    def insert(self, collection: str, key: str, doc: Doc) -> bool:
        with self._lock:
            if key in self._data.get(collection, {}):
                return False
            self.put(collection, key, doc)
            return True

    def update(self, collection: str, key: str, fn: Callable[[Doc | None], Doc | None]) -> Doc | None:
        with self._lock:
            new = fn(self.get(collection, key))
            if new is None:
                self.delete(collection, key)
            else:
                self.put(collection, key, new)
            return copy.deepcopy(new)

    def delete(self, collection: str, key: str) -> bool:
        with self._lock:
            found = self._data.get(collection, {}).pop(key, None) is not None
            if found:
                self._bump(collection)
            return found

    def list(self, collection: str, prefix: str = "") -> list[tuple[str, Doc]]:
        with self._lock:
            table = self._data.get(collection, {})
            return [(k, copy.deepcopy(table[k])) for k in sorted(table) if k.startswith(prefix)]

    def version(self, collection: str = "*") -> int:
        with self._lock:
            return self._versions.get(collection, 0)

    def close(self) -> None:
        pass


class MemoryCache:
    """A dict with TTLs read from the injected clock; expired entries are dropped when read or swept."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._data: dict[str, tuple[float, bytes]] = {}

    async def get(self, key: str) -> bytes | None:
        return self.get_now(key)

    def get_now(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= self._clock.monotonic():
            del self._data[key]
            return None
        return item[1]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self.set_now(key, value, ttl)

    def set_now(self, key: str, value: bytes, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._data) >= self._max and key not in self._data:
            self._sweep()
        self._data[key] = (self._clock.monotonic() + ttl, value)

    def _sweep(self) -> None:
        now = self._clock.monotonic()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        while len(self._data) >= self._max:  # still full: drop the oldest insertions
            del self._data[next(iter(self._data))]

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def delete_prefix(self, prefix: str) -> int:
        keys = [k for k in self._data if k.startswith(prefix)]
        for k in keys:
            del self._data[k]
        return len(keys)

    async def close(self) -> None:
        self._data.clear()
