"""The SQLite catalog (the default): WAL mode, schema versioned by named migrations.

Any process may write (the CLI, a gateway worker); every write bumps a per-collection version in the
same transaction, which running gateways poll in the background to refresh their snapshots.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from gatepost.stores.base import Doc

# (namespace, version, SQL). Feature modules add theirs with `register_migration`; applied in order.
MIGRATIONS: list[tuple[str, int, str]] = [
    ("core", 1, """
        CREATE TABLE IF NOT EXISTS documents (
            collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
            PRIMARY KEY (collection, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS versions (collection TEXT PRIMARY KEY, version INTEGER NOT NULL);
    """),
]


_UPSERT = "INSERT INTO documents VALUES (?, ?, ?) ON CONFLICT(collection, key) DO UPDATE SET doc = excluded.doc"


def register_migration(namespace: str, version: int, sql: str) -> None:
    if (namespace, version) not in {(n, v) for n, v, _ in MIGRATIONS}:
        MIGRATIONS.append((namespace, version, sql))


class SqliteCatalog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self.migrate()

    def migrate(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(namespace TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (namespace, version))"
                )
                done = set(self._conn.execute("SELECT namespace, version FROM schema_migrations").fetchall())
                for namespace, version, sql in sorted(MIGRATIONS, key=lambda m: (m[0] != "core", m[0], m[1])):
                    if (namespace, version) in done:
                        continue
                    for statement in filter(str.strip, sql.split(";")):
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (namespace, version))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def schema_versions(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT namespace, max(version) FROM schema_migrations GROUP BY namespace")
            return dict(rows.fetchall())

    def _tx(self, fn: Callable[[sqlite3.Connection], object]) -> object:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn)
                self._conn.execute("COMMIT")
                return result
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _bump(conn: sqlite3.Connection, collection: str) -> None:
        conn.executemany(
            "INSERT INTO versions VALUES (?, 1) ON CONFLICT(collection) DO UPDATE SET version = version + 1",
            [(collection,), ("*",)],
        )

    def get(self, collection: str, key: str) -> Doc | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc FROM documents WHERE collection = ? AND key = ?", (collection, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, collection: str, key: str, doc: Doc) -> None:
        self.put_many(collection, [(key, doc)])

    def put_many(self, collection: str, items: list[tuple[str, Doc]]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(
                _UPSERT,
                [(collection, k, json.dumps(d, separators=(",", ":"))) for k, d in items],
            )
            self._bump(conn, collection)

        self._tx(write)

    def insert(self, collection: str, key: str, doc: Doc) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT OR IGNORE INTO documents VALUES (?, ?, ?)",
                (collection, key, json.dumps(doc, separators=(",", ":"))),
            )
            if cur.rowcount:
                self._bump(conn, collection)
            return bool(cur.rowcount)

        return bool(self._tx(write))

    def update(self, collection: str, key: str, fn: Callable[[Doc | None], Doc | None]) -> Doc | None:
        def write(conn: sqlite3.Connection) -> Doc | None:
            row = conn.execute(
                "SELECT doc FROM documents WHERE collection = ? AND key = ?", (collection, key)
            ).fetchone()
            new = fn(json.loads(row[0]) if row else None)
            if new is None:
                conn.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key))
            else:
                conn.execute(
                    _UPSERT,
                    (collection, key, json.dumps(new, separators=(",", ":"))),
                )
            self._bump(conn, collection)
            return new

        result = self._tx(write)
        return result if isinstance(result, dict) else None

    def delete(self, collection: str, key: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key))
            if cur.rowcount:
                self._bump(conn, collection)
            return bool(cur.rowcount)

        return bool(self._tx(write))

    def list(self, collection: str, prefix: str = "") -> list[tuple[str, Doc]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, doc FROM documents WHERE collection = ? AND substr(key, 1, ?) = ? ORDER BY key",
                (collection, len(prefix), prefix),
            ).fetchall()
        return [(k, json.loads(d)) for k, d in rows]

    def version(self, collection: str = "*") -> int:
        with self._lock:
            row = self._conn.execute("SELECT version FROM versions WHERE collection = ?", (collection,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
