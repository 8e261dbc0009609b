"""`gatepost serve examples/payments/gatepost.yaml` alone brings up everything the example needs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from support import free_port, wait_http

REPO = Path(__file__).resolve().parents[2]


def test_example_serves_and_protected_routes_never_answer_2xx_without_credentials(tmp_path: Path) -> None:
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples/payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatepost", "serve", str(example / "gatepost.yaml"), "--port", str(port)],
        cwd=example, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/_gatepost/ready", timeout=40)
        health = requests.get(base + "/health", timeout=5)
        assert health.status_code == 200
        for method, path in (("GET", "/me"), ("POST", "/partners/p1/transactions"),
                             ("POST", "/internal/refresh"), ("POST", "/b2b/settlements")):
            r = requests.request(method, base + path, timeout=10)
            assert 400 <= r.status_code < 600, (path, r.status_code)
            assert r.status_code < 500, (path, r.status_code, r.text)
            r = requests.request(method, base + path, headers={"Authorization": "Bearer garbage"}, timeout=10)
            assert not 200 <= r.status_code < 300, (path, r.status_code)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode()
    assert "Traceback" not in out, out
    with pytest.raises(requests.ConnectionError):  # the sidecar upstream was stopped with the gateway
        requests.get("http://127.0.0.1:9000/health", timeout=2)
