"""One contract for every Cache backend (TTL expiry is checked with the injected clock on memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gatepost.clock import ManualClock
from gatepost.stores.base import Cache
from gatepost.stores.memory import MemoryCache
from gatepost.stores.redis_cache import RedisCache


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    c: Cache
    if request.param == "memory":
        c = MemoryCache(ManualClock())
    else:
        c = RedisCache(request.getfixturevalue("redis_url"), prefix="test:")
    yield c
    await c.close()


async def test_set_get_delete(cache: Cache) -> None:
    assert await cache.get("a") is None
    await cache.set("a", b"1", ttl=60)
    assert await cache.get("a") == b"1"
    await cache.delete("a")
    assert await cache.get("a") is None


async def test_zero_ttl_stores_nothing(cache: Cache) -> None:
    await cache.set("z", b"1", ttl=0)
    assert await cache.get("z") is None


async def test_delete_prefix(cache: Cache) -> None:
    for k in ("api1/auth/a", "api1/auth/b", "api2/auth/a", "api1*/x"):
        await cache.set(k, b"v", ttl=60)
    assert await cache.delete_prefix("api1/") == 2
    assert await cache.get("api1/auth/a") is None
    assert await cache.get("api2/auth/a") == b"v"
    assert await cache.get("api1*/x") == b"v"  # glob characters in keys are literal


async def test_memory_ttl_follows_the_injected_clock() -> None:
    clock = ManualClock()
    cache = MemoryCache(clock)
    await cache.set("k", b"v", ttl=300)
    clock.advance(299.9)
    assert await cache.get("k") == b"v"
    clock.advance(0.2)
    assert await cache.get("k") is None


async def test_memory_cache_is_bounded() -> None:
    cache = MemoryCache(ManualClock(), max_entries=10)
    for i in range(25):
        await cache.set(f"k{i}", b"v", ttl=60)
    assert len(cache._data) <= 10
    assert await cache.get("k24") == b"v"
