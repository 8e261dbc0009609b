"""open_counters: a counters URL -> its backend (memory:// or redis://). Kept apart from counters.py,
whose types the backends import, so that the backends and their interface do not import each other."""

from __future__ import annotations

from urllib.parse import urlsplit

from gatepost.stores.counters import Counters, is_shared_url


def open_counters(url: str) -> Counters:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from gatepost.stores.counters_memory import MemoryCounters

        return MemoryCounters()
    if is_shared_url(url):
        from gatepost.stores.counters_redis import RedisCounters

        return RedisCounters(url)
    raise ValueError(f"counters URL {url!r}: use memory:// (one process) or redis://host:port/db")
