"""The Postgres catalog (`state.catalog: postgresql://...`): one catalog shared by instances on many machines.

Same contract as the SQLite catalog (tests/stores/test_catalog_contract.py runs against both): JSON documents
in named collections, a per-collection version bumped in the same transaction as every write. Beyond it:

- a connection pool (psycopg_pool), connections checked before use, so a restarted Postgres is reconnected
  to by itself;
- migrations applied at start under an advisory lock: instances starting together apply each one once;
- every write announces its collection with NOTIFY (delivered at commit); `wait_change` wakes the catalog
  watcher as soon as one arrives, so every worker of every instance reloads within a fraction of a second
  (the watcher still polls versions, which covers a lost listener connection);
- Postgres unreachable: every call raises CatalogUnavailable (a clear message, never the password); a write
  is one transaction, so nothing is half-written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from gatepost.stores.base import Doc
from gatepost.stores.errors import CatalogUnavailable, redact_url

log = logging.getLogger("gatepost.catalog")

CHANNEL = "gatepost_catalog"
# pg_advisory_xact_lock key held while migrating: "gatepost" in ASCII, so no other application's lock
MIGRATION_LOCK = 0x6761746570
# (namespace, version, SQL), applied in order, each once
MIGRATIONS: list[tuple[str, int, str]] = [
    ("core", 1, """
        CREATE TABLE IF NOT EXISTS documents (
            collection TEXT NOT NULL, key TEXT NOT NULL, doc JSONB NOT NULL,
            PRIMARY KEY (collection, key));
        CREATE TABLE IF NOT EXISTS versions (collection TEXT PRIMARY KEY, version BIGINT NOT NULL);
    """),
]

_UPSERT = ("INSERT INTO documents VALUES (%s, %s, %s) "
           "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc")
_BUMP = ("INSERT INTO versions VALUES (%s, 1) "
         "ON CONFLICT (collection) DO UPDATE SET version = versions.version + 1")
_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


class PostgresCatalog:
    shared = True  # instances on several machines use it: secrets need one GATEPOST_MASTER_KEY everywhere

    def __init__(self, url: str, *, max_connections: int = 4, timeout: float = 5.0, listen: bool = True) -> None:
        self.url = url
        self.where = redact_url(url)
        self._timeout = timeout
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, timeout=timeout, open=False,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            check=ConnectionPool.check_connection, reconnect_timeout=0, name="gatepost-catalog")
        self._changed = threading.Event()
        self._closed = threading.Event()
        self._listener: threading.Thread | None = None
        try:
            self._pool.open(wait=True, timeout=timeout)
        except _ERRORS as exc:
            self._pool.close()
            raise CatalogUnavailable(f"catalog {self.where}: cannot connect ({_reason(exc)})") from None
        try:
            self.migrate()
        except BaseException:
            self._pool.close()
            raise
        if listen:
            self._listener = threading.Thread(target=self._listen, name="gatepost-catalog-listen", daemon=True)
            self._listener.start()

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except _ERRORS as exc:
            raise CatalogUnavailable(f"catalog {self.where}: unreachable ({_reason(exc)})") from None

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction: everything in it is written, or nothing is."""
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def migrate(self) -> None:
        with self._tx() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT NOT NULL, "
                        "version INTEGER NOT NULL, PRIMARY KEY (namespace, version))")
            cur.execute("SELECT namespace, version FROM schema_migrations")
            done = {(n, v) for n, v in cur.fetchall()}
            for namespace, version, sql in sorted(MIGRATIONS, key=lambda m: (m[0] != "core", m[0], m[1])):
                if (namespace, version) in done:
                    continue
                cur.execute(sql.encode())
                cur.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (namespace, version))
                log.info("catalog.migrated namespace=%s version=%d", namespace, version)

    def schema_versions(self) -> dict[str, int]:
        with self._conn() as conn:
            rows = conn.execute("SELECT namespace, max(version) FROM schema_migrations GROUP BY namespace")
            return {n: int(v) for n, v in rows.fetchall()}

    @staticmethod
    def _bump(cur: psycopg.Cursor[Any], collection: str) -> None:
        cur.executemany(_BUMP, [(collection,), ("*",)])
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, collection))

    def get(self, collection: str, key: str) -> Doc | None:
        with self._conn() as conn:
            row = conn.execute("SELECT doc FROM documents WHERE collection = %s AND key = %s",
                               (collection, key)).fetchone()
        return row[0] if row else None

    def put(self, collection: str, key: str, doc: Doc) -> None:
        self.put_many(collection, [(key, doc)])

    def put_many(self, collection: str, items: list[tuple[str, Doc]]) -> None:
        with self._tx() as cur:
            cur.executemany(_UPSERT, [(collection, k, Jsonb(d)) for k, d in items])
            self._bump(cur, collection)

    def insert(self, collection: str, key: str, doc: Doc) -> bool:
        with self._tx() as cur:
            cur.execute("INSERT INTO documents VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        (collection, key, Jsonb(doc)))
            created = cur.rowcount == 1
            if created:
                self._bump(cur, collection)
        return created

    def update(self, collection: str, key: str, fn: Callable[[Doc | None], Doc | None]) -> Doc | None:
        with self._tx() as cur:
            # a row lock cannot cover a key that does not exist yet: lock the (collection, key) name instead
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", (collection, key))
            cur.execute("SELECT doc FROM documents WHERE collection = %s AND key = %s", (collection, key))
            row = cur.fetchone()
            new = fn(row[0] if row else None)
            if new is None:
                cur.execute("DELETE FROM documents WHERE collection = %s AND key = %s", (collection, key))
            else:
                cur.execute(_UPSERT, (collection, key, Jsonb(new)))
            self._bump(cur, collection)
        return new

    def delete(self, collection: str, key: str) -> bool:
        with self._tx() as cur:
            cur.execute("DELETE FROM documents WHERE collection = %s AND key = %s", (collection, key))
            found = cur.rowcount > 0
            if found:
                self._bump(cur, collection)
        return found

    def list(self, collection: str, prefix: str = "") -> list[tuple[str, Doc]]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT key, doc FROM documents WHERE collection = %s AND left(key, %s) = %s "
                'ORDER BY key COLLATE "C"',  # bytewise, as SQLite orders
                (collection, len(prefix), prefix)).fetchall()
        return [(k, d) for k, d in rows]

    def version(self, collection: str = "*") -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT version FROM versions WHERE collection = %s", (collection,)).fetchone()
        return int(row[0]) if row else 0

    def wait_change(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a change announced by any writer; True when one came."""
        changed = self._changed.wait(timeout)
        self._changed.clear()
        return changed

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self._timeout))) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._changed.set()  # (re)connected: anything may have changed meanwhile
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=0.25, stop_after=1):
                            self._changed.set()
            except psycopg.Error as exc:
                if not self._closed.is_set():
                    log.warning("catalog.listen_lost reason=%s", _reason(exc))
                self._closed.wait(1.0)

    def close(self) -> None:
        self._closed.set()
        self._pool.close()
        if self._listener is not None:
            self._listener.join(timeout=2)


def _reason(exc: BaseException) -> str:
    """The first line of a driver error: no connection string (it may carry a password) ever goes out."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace("\n", " ")[:200]
