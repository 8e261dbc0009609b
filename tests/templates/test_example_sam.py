"""`gatepost serve examples/payments-sam/template.yaml` alone brings up the payments example from its SAM
template, and the seed's four callers get in exactly as the README walks through (and nobody else does)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support import REPO, free_port, run_cli, wait_http

PASSWORD = "Correct-Horse-Battery-9"
GATEPOST = [sys.executable, "-m", "gatepost"]


@contextmanager
def served(tmp_path: Path) -> Iterator[tuple[str, Path, int, subprocess.Popen[bytes]]]:
    """The shipped example (and the handlers it points at), copied, on free ports."""
    for name in ("payments", "payments-sam"):
        shutil.copytree(REPO / "examples" / name, tmp_path / name,
                        ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    issuer_port, port = free_port(), free_port()
    template = tmp_path / "payments-sam" / "template.yaml"
    template.write_text(template.read_text().replace("9100", str(issuer_port)))
    proc = subprocess.Popen([*GATEPOST, "serve", str(template), "--port", str(port)], cwd=template.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=60)
        yield f"http://127.0.0.1:{port}", template, issuer_port, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)


def _cli(*argv: str, stdin: str = "") -> str:
    """A verb as the README runs it, through the CLI's entry point in this process (the server is the real
    process: a Python start-up per verb made this test minutes long on a loaded machine)."""
    code, out, err = run_cli(*argv, stdin=stdin)
    assert code == 0, err
    return out


def test_the_four_callers_of_the_sam_template(tmp_path: Path) -> None:
    with served(tmp_path) as (base, template, issuer_port, proc):
        assert proc.stdout is not None
        first = b""
        while b"gatepost: serving" not in first:
            line = proc.stdout.readline()
            assert line, first.decode()
            first += line
        assert b"DemoPartnerAcme4f9c2b7e1d" in first and b"InternalCaller" in first
        cfg = ["--config", str(template)]
        # anyone: /health is public (Authorizer: NONE); nothing else is
        assert requests.get(base + "/health", timeout=10).status_code == 200
        assert requests.get(base + "/nowhere", timeout=10).status_code == 403
        # mobile users: the template's pool, its client's scope payments/profile.read
        _cli("users", "create", "alice", "--password-stdin", *cfg, stdin=PASSWORD)
        token = _cli("users", "token", "alice", "--password-stdin", "--print", "access", *cfg, stdin=PASSWORD).strip()
        assert requests.get(base + "/me", timeout=10).status_code == 401
        me = requests.get(base + "/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert me.status_code == 200 and me.json()["username"] == "alice"
        # partners: the template's key + usage plan, and the Lambda REQUEST authorizer (tenant acme only)
        key = {"x-api-key": "DemoPartnerAcme4f9c2b7e1d"}
        acme = requests.post(base + "/partners/acme/transactions", headers=key, json={"amount": 5}, timeout=10)
        assert acme.status_code == 201 and acme.json()["tenantId"] == "acme"
        assert requests.post(base + "/partners/globex/transactions", headers=key, timeout=10).status_code == 403
        assert requests.post(base + "/partners/acme/transactions", timeout=10).status_code in (401, 403)
        # internal services: the template's role, assumed, signs with SigV4
        issued = json.loads(_cli("iam", "assume-role", "InternalCaller", "--session-name", "readme",
                                 "--format", "json", *cfg))
        creds = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        request = AWSRequest(method="POST", url=base + "/internal/refresh", data=b"")
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(request)
        signed = requests.post(base + "/internal/refresh", headers=dict(request.headers.items()), timeout=10)
        assert signed.status_code == 202, signed.text
        assert requests.post(base + "/internal/refresh", timeout=10).status_code == 403
        # the bank: a JWT from its issuer (the sidecar), audience payments.example.com
        bank = requests.post(f"http://127.0.0.1:{issuer_port}/bank/token", timeout=10,
                             data={"aud": "payments.example.com", "sub": "bank-backoffice"}).json()["access_token"]
        settle = requests.post(base + "/bank/b2b/settlements", headers={"Authorization": f"Bearer {bank}"},
                               json={"amount": 100}, timeout=10)
        assert settle.status_code == 202, settle.text
        assert requests.post(base + "/bank/b2b/settlements", timeout=10).status_code == 401
        # probe: every protected route refuses anonymous callers
        code, out, err = run_cli("probe", base, *cfg)
        assert code == 0, out + err
