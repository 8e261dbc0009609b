"""`gatepost serve examples/payments/gatepost.yaml` alone brings up everything the example needs, and the
four callers of the seed get in with exactly what the first start prints (as the README walks through)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support import REPO, free_port, wait_http


@contextmanager
def example_gateway(tmp_path: Path) -> Iterator[tuple[str, Path, list[str], subprocess.Popen[bytes]]]:
    """The shipped example, copied, on free ports (sidecars included) so parallel runs cannot collide."""
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples/payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    upstream_port, issuer_port, port = free_port(), free_port(), free_port()
    cfg = example / "gatepost.yaml"
    cfg.write_text(cfg.read_text().replace("9000", str(upstream_port)).replace("9100", str(issuer_port)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatepost", "serve", str(cfg), "--port", str(port)],
        cwd=example, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/_gatepost/ready", timeout=40)
        assert requests.get(base + "/_gatepost/ready", timeout=5).json()["status"] == "ready"  # Gatepost, no other
        yield base, cfg, output, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output.append(proc.communicate(timeout=20)[0].decode())
        with pytest.raises(requests.ConnectionError):  # the sidecar upstream was stopped with the gateway
            requests.get(f"http://127.0.0.1:{upstream_port}/health", timeout=2)


def first_start_output(proc: subprocess.Popen[bytes]) -> str:
    """What the first start printed before serving (the demo credentials), read as the user reads it."""
    assert proc.stdout is not None
    lines = []
    while True:
        line = proc.stdout.readline().decode()
        lines.append(line)
        if not line or line.startswith("gatepost: serving"):
            return "".join(lines)


def test_protected_routes_never_answer_2xx_without_credentials(tmp_path: Path) -> None:
    with example_gateway(tmp_path) as (base, _, output, _proc):
        assert requests.get(base + "/health", timeout=5).status_code == 200
        for method, path in (("GET", "/me"), ("GET", "/me/admin"), ("POST", "/partners/p1/transactions"),
                             ("POST", "/internal/refresh"), ("POST", "/b2b/settlements")):
            r = requests.request(method, base + path, timeout=10)
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
            r = requests.request(method, base + path, headers={"Authorization": "Bearer garbage"}, timeout=10)
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    assert "Traceback" not in output[-1], output[-1]


def test_the_four_callers_get_in_with_what_the_first_start_prints(tmp_path: Path) -> None:
    with example_gateway(tmp_path) as (base, cfg, output, proc):
        printed = first_start_output(proc)

        # partners: the demo key -> usage plan + the Lambda REQUEST authorizer (tenant acme)
        key = re.search(r"x-api-key\. It is shown only this once:\n\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        r = requests.post(base + "/partners/acme/transactions", headers={"x-api-key": key}, json={}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["x-gatepost-context-tenantid"] == "acme"
        assert r.json()["identity"]["x-gatepost-api-key-id"]
        r = requests.post(base + "/partners/globex/transactions", headers={"x-api-key": key}, timeout=10)
        assert r.status_code == 403  # acme's key, globex's resource

        # internal services: the printed IAM credentials, SigV4 by botocore
        akid = re.search(r"export AWS_ACCESS_KEY_ID=(\S+)", printed).group(1)  # type: ignore[union-attr]
        secret = re.search(r"export AWS_SECRET_ACCESS_KEY=(\S+)", printed).group(1)  # type: ignore[union-attr]
        signed = AWSRequest(method="POST", url=base + "/internal/refresh", data=b"{}")
        SigV4Auth(Credentials(akid, secret), "execute-api", "us-east-1").add_auth(signed)
        r = requests.post(base + "/internal/refresh", headers=dict(signed.headers), data=b"{}", timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["x-gatepost-caller-arn"].endswith(":user/gatepost-demo")

        # mobile users: the demo user's printed password -> a built-in pool token
        password = re.search(r"password: (\S+)", printed).group(1)  # type: ignore[union-attr]
        token = subprocess.run([sys.executable, "-m", "gatepost", "users", "token", "alice", "--pool", "mobile",
                                "--print", "access", "--config", str(cfg), "--password", password],
                               capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        assert requests.get(base + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
        r = requests.get(base + "/me/admin", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 403  # alice is a customer, not an admin

        # the bank: a JWT from its issuer (the local issuer sidecar), audience payments.example.com
        issuer = re.search(r"local issuer: (http://127\.0\.0\.1:\d+)/bank", printed).group(1)  # type: ignore[union-attr]
        bank = requests.post(issuer + "/bank/token", data={"aud": "payments.example.com", "sub": "bank-backoffice"},
                             timeout=10).json()["access_token"]
        r = requests.post(base + "/b2b/settlements", headers={"Authorization": f"Bearer {bank}"}, json={}, timeout=10)
        assert r.status_code == 200, r.text

    served = output[-1]  # everything after the first-start lines: the access log and the gateway's log
    assert '"path":"/internal/refresh"' in served
    for value in (key, secret, password, token, bank):
        assert value not in served
