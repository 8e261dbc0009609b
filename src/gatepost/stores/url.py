"""Open a store from its URL: `sqlite:///path` (relative to the config file), `postgresql://...`, `memory://`,
`redis://...`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from gatepost.clock import Clock
from gatepost.stores.base import Cache, Catalog
from gatepost.stores.errors import redact_url
from gatepost.stores.memory import MemoryCache, MemoryCatalog


class StoreUrlError(ValueError):
    pass


def sqlite_path(url: str, base_dir: Path) -> Path:
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url[len("sqlite://"):]
    p = Path(path)
    return p if p.is_absolute() else base_dir / p


def open_catalog(url: str, base_dir: Path) -> Catalog:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryCatalog()
    if scheme == "sqlite":
        from gatepost.stores.sqlite import SqliteCatalog

        return SqliteCatalog(sqlite_path(url, base_dir))
    if scheme in ("postgresql", "postgres"):
        from gatepost.stores.postgres import PostgresCatalog

        return PostgresCatalog(url)
    raise StoreUrlError(f"catalog URL {redact_url(url)!r}: use sqlite:///path/to/gatepost.db, "
                        "postgresql://user:password@host:5432/dbname or memory://")


def open_cache(url: str, clock: Clock) -> Cache:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryCache(clock)
    if scheme in ("redis", "rediss", "unix"):
        from gatepost.stores.redis_cache import RedisCache

        return RedisCache(url)
    raise StoreUrlError(f"cache URL {url!r}: use memory:// or redis://host:port/db")
