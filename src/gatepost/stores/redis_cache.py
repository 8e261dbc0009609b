"""The Redis cache: shared by every worker and instance of a deployment."""

from __future__ import annotations

import redis.asyncio as aioredis


class RedisCache:
    def __init__(self, url: str, prefix: str = "gatepost:cache:") -> None:
        self._redis = aioredis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        if ttl > 0:
            await self._redis.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def delete_prefix(self, prefix: str) -> int:
        count = 0
        async for k in self._redis.scan_iter(match=self._prefix + _glob_escape(prefix) + "*", count=500):
            count += await self._redis.delete(k)
        return count

    async def close(self) -> None:
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
