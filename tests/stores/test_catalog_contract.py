"""One contract for every Catalog backend."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatepost.catalog_watch import CatalogWatcher
from gatepost.stores.base import Catalog
from gatepost.stores.memory import MemoryCatalog
from gatepost.stores.sqlite import SqliteCatalog


def open_backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Catalog:
    if kind == "memory":
        return MemoryCatalog()
    if kind == "sqlite":
        return SqliteCatalog(tmp_path / "c.db")
    from gatepost.stores.postgres import PostgresCatalog

    return PostgresCatalog(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    cat = open_backend(request.param, request, tmp_path)
    yield cat
    cat.close()


def test_put_get_list_delete(catalog: Catalog) -> None:
    assert catalog.get("keys", "a") is None
    catalog.put("keys", "a", {"n": 1, "tags": ["x"]})
    catalog.put_many("keys", [("b", {"n": 2}), ("ab", {"n": 3})])
    catalog.put("other", "a", {"n": 9})
    assert catalog.get("keys", "a") == {"n": 1, "tags": ["x"]}
    assert [k for k, _ in catalog.list("keys")] == ["a", "ab", "b"]
    assert [k for k, _ in catalog.list("keys", prefix="a")] == ["a", "ab"]
    assert catalog.delete("keys", "a") is True
    assert catalog.delete("keys", "a") is False
    assert catalog.get("keys", "a") is None
    assert catalog.get("other", "a") == {"n": 9}


def test_documents_are_copies(catalog: Catalog) -> None:
    doc = {"n": [1]}
    catalog.put("c", "k", doc)
    doc["n"].append(2)
    got = catalog.get("c", "k")
    assert got == {"n": [1]}
    got["n"].append(3)  # type: ignore[index]
    assert catalog.get("c", "k") == {"n": [1]}


def test_insert_is_create_only(catalog: Catalog) -> None:
    assert catalog.insert("users", "ana", {"v": 1}) is True
    assert catalog.insert("users", "ana", {"v": 2}) is False
    assert catalog.get("users", "ana") == {"v": 1}


def test_update_is_atomic_read_modify_write(catalog: Catalog) -> None:
    def incr(doc: dict | None) -> dict:  # type: ignore[type-arg]
        return {"n": (doc or {"n": 0})["n"] + 1}

    threads = [threading.Thread(target=lambda: [catalog.update("ctr", "k", incr) for _ in range(50)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert catalog.get("ctr", "k") == {"n": 200}
    assert catalog.update("ctr", "k", lambda d: None) is None
    assert catalog.get("ctr", "k") is None


def test_versions_move_per_collection(catalog: Catalog) -> None:
    v_all, v_keys, v_users = catalog.version(), catalog.version("keys"), catalog.version("users")
    catalog.put("keys", "a", {})
    assert catalog.version("keys") > v_keys
    assert catalog.version("users") == v_users
    assert catalog.version() > v_all
    before = catalog.version("keys")
    catalog.delete("keys", "missing")
    assert catalog.version("keys") == before  # nothing written, nothing to reload


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_durable_catalog_survives_reopen_and_sees_other_connections(
        kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    a, b = open_backend(kind, request, tmp_path), open_backend(kind, request, tmp_path)
    a.put("keys", "k1", {"enabled": True, "rate": 1.5})
    assert b.get("keys", "k1") == {"enabled": True, "rate": 1.5}
    v = b.version("keys")
    a.put("keys", "k1", {"enabled": False})
    assert b.version("keys") == v + 1
    a.close()
    b.close()
    c = open_backend(kind, request, tmp_path)
    assert c.get("keys", "k1") == {"enabled": False}
    assert c.schema_versions()["core"] == 1  # type: ignore[attr-defined]
    c.close()


def test_watcher_reloads_subscribers_when_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    gateway_side, cli_side = SqliteCatalog(path), SqliteCatalog(path)
    watcher = CatalogWatcher(gateway_side)
    snapshots: list[dict | None] = []  # type: ignore[type-arg]

    async def reload() -> None:
        snapshots.append(await asyncio.to_thread(gateway_side.get, "keys", "k"))

    async def scenario() -> None:
        watcher.subscribe("keys", reload)
        await watcher.poll(force=True)
        await watcher.poll()  # nothing changed: no reload
        cli_side.put("keys", "k", {"enabled": False})
        await watcher.poll()
        cli_side.put("other", "x", {})
        await watcher.poll()  # another collection: no reload

    asyncio.run(scenario())
    assert snapshots == [None, {"enabled": False}]
    gateway_side.close()
    cli_side.close()
