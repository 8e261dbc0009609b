"""The Lambda authorizer result cache, with AWS's keying (reference section 1.7).

- Key: API id + stage + authorizer + SHA-256 of the identity-source values (the token for TOKEN): one
  entry serves every route of the stage that uses the authorizer; a raw token never appears in a key.
- Value: the whole validated output (policy, principal, context, usage key), stored through the
  `Cache` store (memory, or Redis shared by workers and instances) for `result_ttl` seconds on the
  injected clock. Only results are cached: `Unauthorized` and errors are not.
- Single-flight: concurrent misses for one key share one invocation (per process); the invocation
  runs as its own task, so a caller that goes away does not cancel it for the others.
- Flush: `flush()` forgets everything at once in this process (a generation number stops an
  invocation that started before the flush from storing its result) and deletes the prefix in the
  store. `gatepost cache flush API STAGE` writes the `authorizer_cache_flushes` catalog collection;
  every gateway watching it flushes its authorizers of that stage.
- A cache store that fails is treated as a miss (logged): the authorizer still decides every request.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Generic, TypeVar
from urllib.parse import quote

from gatepost.stores.base import Cache

log = logging.getLogger("gatepost.authorizers.lambda")

FLUSH_COLLECTION = "authorizer_cache_flushes"
_DECODED_MAX = 4096

T = TypeVar("T")


def stage_prefix(api_id: str, stage: str) -> str:
    """Every cached authorizer result of one API stage starts with this (what a flush deletes)."""
    return f"authz:{quote(api_id, safe='')}:{quote(stage, safe='')}:"


def flush_key(api_id: str, stage: str) -> str:
    """The catalog key of a stage's flush counter in FLUSH_COLLECTION."""
    return f"{quote(api_id, safe='')}:{quote(stage, safe='')}"


def identity_digest(values: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for v in values:
        h.update(v.encode("utf-8", "surrogateescape"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass
class CacheStats:
    """Counters for logs and (later) metrics. misses include `coalesced` (waited for a peer's call)."""

    invocations: int = 0
    hits: int = 0
    misses: int = 0
    coalesced: int = 0
    store_errors: int = 0
    flushes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Lookup(Generic[T]):
    """An authorizer's result and whether it was served from the cache (no invocation for this request).
    A plain class: mypyc compiles this module, and cannot compile a generic dataclass."""

    __slots__ = ("cached", "value")

    def __init__(self, value: T, cached: bool) -> None:
        self.value = value
        self.cached = cached


class ResultCache(Generic[T]):
    """One authorizer's view of the cache. `encode`/`decode` turn a result into bytes and back;
    `cacheable(value)` says whether an invocation's outcome may be stored."""

    def __init__(self, store: Cache, prefix: str, ttl: float, stats: CacheStats,
                 encode: Callable[[T], bytes | None], decode: Callable[[bytes], T]) -> None:
        self.store = store
        self.prefix = prefix
        self.ttl = ttl
        self.stats = stats
        self._encode = encode
        self._decode = decode
        self._inflight: dict[str, asyncio.Task[T]] = {}
        self._decoded: dict[bytes, T] = {}
        self._generation = 0

    def key(self, identity: tuple[str, ...]) -> str:
        return self.prefix + identity_digest(identity)

    async def resolve(self, identity: tuple[str, ...], invoke: Callable[[], Awaitable[T]]) -> Lookup[T]:
        key = self.key(identity)
        data = await self._get(key)
        if data is not None:
            value = self._decoded_value(data)
            if value is not None:
                self.stats.hits += 1
                return Lookup(value, True)
        self.stats.misses += 1
        task = self._inflight.get(key)
        if task is not None:
            self.stats.coalesced += 1
            return Lookup(await asyncio.shield(task), False)
        task = asyncio.ensure_future(self._invoke_and_store(key, invoke))
        self._inflight[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        return Lookup(await asyncio.shield(task), False)

    def _forget(self, key: str, task: asyncio.Task[T]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]

    async def _invoke_and_store(self, key: str, invoke: Callable[[], Awaitable[T]]) -> T:
        generation = self._generation
        value = await invoke()
        data = self._encode(value)
        if data is not None and generation == self._generation:
            await self._set(key, data)
        return value

    def _decoded_value(self, data: bytes) -> T | None:
        value = self._decoded.get(data)
        if value is None:
            try:
                value = self._decode(data)
            except Exception:  # an entry written by another version, or damaged: a miss
                log.warning("lambda.cache_entry_unreadable prefix=%s", self.prefix)
                return None
            if len(self._decoded) >= _DECODED_MAX:
                self._decoded.clear()
            self._decoded[data] = value
        return value

    async def _get(self, key: str) -> bytes | None:
        try:
            return await self.store.get(key)
        except Exception as exc:
            self.stats.store_errors += 1
            log.warning("lambda.cache_unavailable op=get error_type=%s", type(exc).__name__)
            return None

    async def _set(self, key: str, data: bytes) -> None:
        try:
            await self.store.set(key, data, self.ttl)
        except Exception as exc:
            self.stats.store_errors += 1
            log.warning("lambda.cache_unavailable op=set error_type=%s", type(exc).__name__)

    async def flush(self) -> int:
        """Forget every cached result of this authorizer, now."""
        self._generation += 1
        self._decoded.clear()
        self._inflight.clear()  # later requests do not join an invocation that started before the flush
        self.stats.flushes += 1
        try:
            return await self.store.delete_prefix(self.prefix)
        except Exception as exc:
            self.stats.store_errors += 1
            log.warning("lambda.cache_unavailable op=flush error_type=%s", type(exc).__name__)
            return 0
