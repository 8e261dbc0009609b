from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules are imported with --import-mode=importlib (basenames may repeat across folders); helper
# modules (support.py, each area's kit) are imported by name, so their folders go on sys.path.
_TESTS = Path(__file__).resolve().parent
for _dir in [_TESTS, *sorted(p for p in _TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))]:
    sys.path.insert(0, str(_dir))

import hypothesis_profiles  # noqa: E402, F401  (the suite's short hypothesis budget)
from gatepost.clock import ManualClock  # noqa: E402
from support import Upstream, run_upstream  # noqa: E402


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with run_upstream() as up:
        yield up


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real redis-server for the session; tests that stop/start Redis should use run_redis instead."""
    from support import run_redis

    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: object) -> Iterator[str]:
    """A clean Redis database for one test."""
    import redis as redis_sync

    url = redis_server.url  # type: ignore[attr-defined]
    client = redis_sync.Redis.from_url(url)
    client.flushdb()
    client.close()
    yield url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """One real Postgres cluster for the session (tests/postgres_server.py); each test takes a new database."""
    from postgres_server import run_postgres

    with run_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: object) -> str:
    """A new, empty database on the session's Postgres."""
    return postgres_server.create_database()  # type: ignore[attr-defined]
