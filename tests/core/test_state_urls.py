"""A `state:` URL the gateway cannot open is refused by `check` and by `serve`, located, never a traceback.

Real stores: an SQLite path under a file, a file that is not a database, a Redis and a Postgres port
with nothing listening, a real redis-server that answers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatepost.cli import main
from support import RedisServer, free_port, run_redis

API = 'apis:\n  shop:\n    routes: [{route: "GET /health", public: true}]\n    integration: {mock: {}}\n'


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with run_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def write(tmp_path: Path, state: str) -> Path:
    config = tmp_path / "gatepost.yaml"
    config.write_text(f"state:\n{state}{API}")
    return config


def check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(config)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def serve(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gatepost", "serve", str(config), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)


def test_unusable_urls_are_refused_by_check_and_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    closed = free_port()  # nothing listens there
    config = write(tmp_path, f"  catalog: sqlite:///blocker/gatepost.db\n  cache: redis://127.0.0.1:{closed}/0\n"
                             "  counters: memcached://127.0.0.1:11211\n")
    code, out = check(config, capsys)
    assert code == 1
    assert f"{config}:2: state.catalog: catalog URL 'sqlite:///blocker/gatepost.db': cannot create " in out
    assert f"{tmp_path / 'blocker'} is a file" in out
    assert f"{config}:3: state.cache: cache URL 'redis://127.0.0.1:{closed}/0': cannot connect" in out
    assert f"{config}:4: state.counters: counters URL 'memcached://127.0.0.1:11211': unknown kind of store" in out
    assert "fix: expected memory:// (one process) or redis://host:port/db; e.g. cache: redis://" in out

    served = serve(config)
    assert served.returncode == 1
    assert "Traceback" not in served.stderr + served.stdout
    assert "3 problem(s)" in served.stderr and "state.cache: cache URL" in served.stderr
    assert "serving" not in served.stdout


def test_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.db").write_text("these are notes, not SQLite\n" * 100)
    code, out = check(write(tmp_path, "  catalog: sqlite:///notes.db\n"), capsys)
    assert code == 1
    assert "state.catalog: catalog URL 'sqlite:///notes.db': cannot open" in out
    assert "e.g. catalog: sqlite:///.gatepost/gatepost.db" in out


def test_postgres_that_does_not_answer_hides_the_password(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    closed = free_port()
    code, out = check(write(tmp_path, f"  catalog: postgresql://app:s3cret@127.0.0.1:{closed}/gatepost\n"), capsys)
    assert code == 1
    assert f"state.catalog: catalog URL 'postgresql://app:***@127.0.0.1:{closed}/gatepost': cannot connect" in out
    assert "s3cret" not in out


def test_stores_that_answer_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 redis_server: RedisServer) -> None:
    config = write(tmp_path, f"  catalog: sqlite:///state/gatepost.db\n  cache: {redis_server.url}\n"
                             f"  counters: {redis_server.url}\n")
    code, out = check(config, capsys)
    assert (code, out.strip()) == (0, f"{config}: OK (1 API(s), 1 route(s))")
    assert not (tmp_path / "state").exists()  # check changes nothing
