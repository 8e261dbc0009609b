"""What the Postgres catalog adds to the contract: shared by processes, migrations under a lock, NOTIFY."""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg
import pytest

from gatepost.catalog_watch import CatalogWatcher
from gatepost.stores.errors import CatalogUnavailable, redact_url
from gatepost.stores.postgres import MIGRATIONS, PostgresCatalog
from gatepost.stores.url import open_catalog


def test_instances_starting_together_apply_each_migration_once(postgres_url: str) -> None:
    opened: list[PostgresCatalog] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(PostgresCatalog(postgres_url, listen=False))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT namespace, version, count(*) FROM schema_migrations "
                            "GROUP BY namespace, version").fetchall()
    assert rows and all(count == 1 for _, _, count in rows)
    assert {(n, v) for n, v, _ in rows} == {(n, v) for n, v, _ in MIGRATIONS}
    for cat in opened:
        cat.close()


def test_keys_sort_bytewise_like_sqlite(postgres_url: str) -> None:
    cat = PostgresCatalog(postgres_url, listen=False)
    cat.put_many("k", [("b", {}), ("B", {}), ("a_", {}), ("a-", {}), ("é", {})])
    assert [k for k, _ in cat.list("k")] == sorted(["b", "B", "a_", "a-", "é"])
    cat.close()


def test_a_write_wakes_the_watcher_of_another_catalog(postgres_url: str) -> None:
    """NOTIFY, not the poll: the watcher's poll interval is longer than the time allowed here."""
    gateway_side, cli_side = PostgresCatalog(postgres_url), PostgresCatalog(postgres_url, listen=False)
    watcher = CatalogWatcher(gateway_side, interval=30.0)
    seen: list[dict | None] = []  # type: ignore[type-arg]

    async def reload() -> None:
        seen.append(await asyncio.to_thread(gateway_side.get, "keys", "k"))

    async def scenario() -> float:
        watcher.subscribe("keys", reload)
        await watcher.start()
        await asyncio.sleep(0.5)  # the listener is connected
        gateway_side.wait_change(0)  # forget the wake-up of the listener's first connection
        started = time.monotonic()
        await asyncio.to_thread(cli_side.put, "keys", "k", {"enabled": False})
        while len(seen) < 2 and time.monotonic() - started < 20:
            await asyncio.sleep(0.01)
        await watcher.stop()
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert seen == [None, {"enabled": False}]
    assert elapsed < 20  # generous on a loaded machine; the poll alone would take 30 s
    gateway_side.close()
    cli_side.close()


def test_unreachable_catalog_is_a_clear_error_without_the_password(postgres_server: object) -> None:
    port = postgres_server.port  # type: ignore[attr-defined]
    url = f"postgresql://app:s3cret-pw@127.0.0.1:{port + 1 if port < 65535 else port - 1}/gatepost"
    with pytest.raises(CatalogUnavailable) as info:
        PostgresCatalog(url, timeout=1.0)
    assert "s3cret-pw" not in str(info.value)
    assert "postgresql://app:***@127.0.0.1" in str(info.value)


def test_catalog_url_opens_postgres(postgres_url: str, tmp_path: object) -> None:
    from pathlib import Path

    cat = open_catalog(postgres_url, Path("."))
    assert isinstance(cat, PostgresCatalog)
    cat.close()
    assert redact_url("postgresql://u:p@h:1/d?sslmode=require") == "postgresql://u:***@h:1/d"
    assert redact_url("postgresql://u@h/d") == "postgresql://u@h/d"
