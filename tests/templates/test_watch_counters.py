"""`serve --watch` keeps counters and connections across a reload: a usage plan's quota partly used before
the template changes on disk goes on from where it was after the new template takes over, and a keep-alive
connection opened before the reload is served by the new version. The watcher's check is called by the test
(what it does every second under `serve --watch`), so nothing sleeps."""

from __future__ import annotations

import http.client
import json
import shutil
from pathlib import Path

from template_kit import FIXTURES, serve_watched

from gatepost.config.load import load_file
from gatepost.usage.demo import create_demo_key

KEY = "CdkFixtureKey0123456789"  # the CDK app's MeteredKey; its plan allows 3 calls a day
STACK = "OrdersStack.template.json"


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def test_a_reload_keeps_the_quota_count_and_the_connection(tmp_path: Path) -> None:
    folder = tmp_path / "cdk.out"
    shutil.copytree(FIXTURES / "cdk_app" / "cdk.out", folder)
    config, _ = load_file(folder)
    create_demo_key(config, tmp_path)  # what `gatepost serve` does at its first start
    key = {"x-api-key": KEY}
    with serve_watched(folder) as (gw, check):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)  # one keep-alive connection throughout
        assert _get(conn, "/health")[1]["greeting"] == "hello from cdk"
        assert _get(conn, "/metered", key)[0] == 200
        assert _get(conn, "/metered", key)[0] == 200  # 2 of the day's 3
        assert check() is False  # nothing changed on disk: no reload
        stack = folder / STACK
        stack.write_text(stack.read_text().replace('"GREETING": "hello from cdk"', '"GREETING": "hello again"'))
        assert check() is True  # the changed template took over
        status, body = _get(conn, "/health")  # the connection opened before the reload, served by the new version
        assert (status, body["greeting"]) == (200, "hello again")
        assert _get(conn, "/metered", key)[0] == 200  # the 3rd: the count went on from 2
        status, body = _get(conn, "/metered", key)
        assert (status, body) == (429, {"message": "Limit Exceeded"})  # not a fresh quota of 3
        conn.close()
