"""A worker's shutdown runs every close step even when one fails, and never loses access-log lines.

The failing step here is a real one: the workers' shared integration-counts file (observe/
integration_counts.py) cannot be opened (a directory stands at its path), so every flush of it fails, the
last one at shutdown included, as it did when two workers switched a new file to WAL at the same moment.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from gatepost.bootstrap import build_gateway
from gatepost.closing import close_all
from gatepost.observe.access_log import AccessLog
from gatepost.observe.shared_file import run_file
from gatepost.request import GatewayRequest
from gatepost.server.app import GatewayApp
from gatepost.stores.memory import MemoryCatalog
from support import serve_process, wait_http

CONFIG = """
server: {{access_log: "{log}"}}
apis:
  shop:
    routes: [{{route: "GET /items", public: true}}]
    integration: {{mock: {{status: 200, body: ok}}}}
"""


def _block_shared_file(tmp: Path, run: str) -> Path:
    """A directory where the run's integration-counts file goes: SQLite cannot open it."""
    blocked = tmp / "gatepost" / f"integration-calls-{run}.db"
    blocked.mkdir(parents=True)
    return blocked


async def test_close_all_runs_every_step_and_logs_the_one_that_failed(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def ok(name: str) -> None:
        ran.append(name)

    async def broken() -> None:
        ran.append("broken")
        raise RuntimeError("the store is gone")

    with caplog.at_level(logging.ERROR, logger="gatepost.server"):
        clean = await close_all([("first", lambda: ok("first")), ("broken", broken), ("last", lambda: ok("last"))])
    assert ran == ["first", "broken", "last"] and clean is False
    assert [r.getMessage() for r in caplog.records] == ["shutdown.step_failed step=broken"]
    assert await close_all([("only", lambda: ok("only"))]) is True


async def test_a_failing_close_step_leaves_every_access_log_line_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("GATEPOST_RUN_ID", "blocked-run")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    blocked = _block_shared_file(tmp_path, "blocked-run")
    assert run_file("integration-calls") == blocked
    log = tmp_path / "access.log"
    gw = build_gateway(text=CONFIG.format(log=log), catalog=MemoryCatalog(), workers=2)
    app = GatewayApp(gw, AccessLog(str(log), interval=3600))  # no timed flush: only shutdown writes the lines
    await app.startup()
    for _ in range(3):
        started = time.perf_counter()
        response, ex = await app.handle(GatewayRequest(method="GET", path="/items", source_ip="127.0.0.9"))
        assert response.status == 200
        app.log(ex, started)
    assert log.read_bytes() == b""
    with caplog.at_level(logging.WARNING):
        await app.shutdown()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["path"], r["status"], r["source_ip"]) for r in lines] == [("/items", 200, "127.0.0.9")] * 3
    assert any(r.getMessage().startswith("integration_calls.flush_failed") for r in caplog.records)
    assert not app.access_log.enabled  # closed: the file handle is released


def _pid_of(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/_gatepost/health")
    return int(json.loads(conn.getresponse().read())["pid"])


def _get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


@pytest.mark.timeout(300)
def test_two_workers_stopped_twice_with_a_failing_step_write_every_line(tmp_path: Path) -> None:
    run = f"blocked-{os.getpid()}-{time.time_ns():x}"
    _block_shared_file(tmp_path, run)
    log = tmp_path / "access.log"
    config = tmp_path / "gatepost.yaml"
    config.write_text(CONFIG.format(log=log))
    out = tmp_path / "serve.out"
    env = {"GATEPOST_RUN_ID": run, "TMPDIR": str(tmp_path)}
    sent = 0
    with out.open("wb") as sink, serve_process(config, "--workers", "2", env=env, stdout=sink) as (proc, port):
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=120)
        by_pid: dict[int, http.client.HTTPConnection] = {}
        spare: list[http.client.HTTPConnection] = []
        try:
            for _ in range(200):  # one kept-alive connection to each worker
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                pid = _pid_of(conn)
                if pid in by_pid:
                    spare.append(conn)
                else:
                    by_pid[pid] = conn
                if len(by_pid) == 2:
                    break
            assert len(by_pid) == 2, "every connection went to one worker"
            for conn in by_pid.values():
                for _ in range(5):
                    assert _get(conn, "/items") == 200
                    sent += 1
        finally:
            for conn in [*by_pid.values(), *spare]:
                conn.close()
        os.killpg(proc.pid, signal.SIGTERM)  # every process of the group, then once more while they stop
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len([r for r in lines if r["path"] == "/items" and r["status"] == 200]) == sent == 10
    text = out.read_text()
    assert "integration_calls.flush_failed" in text
    assert "Traceback" not in text, text
