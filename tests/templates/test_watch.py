"""`gatepost serve TEMPLATE --watch`: a change to the template or a handler is served without restarting or
dropping a connection; a broken change is refused and the previous version keeps serving."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from template_kit import copy_fixture

from support import free_port, wait_http

DEADLINE = 60.0  # seconds to wait for a reload on a loaded machine (the watcher polls every second)


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, dict]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def _until(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"not seen within {DEADLINE} s: {what}")


def test_watch_reloads_template_and_code_and_refuses_a_broken_change(tmp_path: Path) -> None:
    template = copy_fixture("sam_auth", tmp_path)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gatepost", "serve", str(template), "--watch", "--port",
                                 str(port)], cwd=template.parent, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=60)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # one keep-alive connection throughout
        status, body = _get(conn, "/Api/health")
        assert (status, body["greeting"]) == (200, "hello")
        # the template changes (a parameter's default -> the function's Environment)
        template.write_text(template.read_text().replace("Default: hello", "Default: bonjour"))
        _until(lambda: _get(conn, "/Api/health")[1].get("greeting") == "bonjour", "the new Environment")
        # the handler's code changes
        app = template.parent / "src" / "app.py"
        app.write_text(app.read_text().replace('"function": context.function_name',
                                               '"function": context.function_name, "version": 2'))
        _until(lambda: _get(conn, "/Api/health")[1].get("version") == 2, "the new handler code")
        # a broken template is refused: the last good version keeps serving, on the same connection
        template.write_text(template.read_text() + "Resources:\n  Again: {Type: AWS::SNS::Topic}\n")
        _until(lambda: "reload.refused" in log_path.read_text(), "the refusal in the log")
        assert "duplicate key 'Resources'" in log_path.read_text()
        status, body = _get(conn, "/Api/health")
        assert (status, body["greeting"], body["version"]) == (200, "bonjour", 2)
        assert _get(conn, "/Api/me")[0] == 401  # and its authorizers still hold
        conn.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
