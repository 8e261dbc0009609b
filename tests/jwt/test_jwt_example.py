"""The payments example's mobile routes (the built-in user pool) and bank route (the local issuer sidecar) work
out of the box, and the issuer tool itself: token endpoint, rotation, keys kept across restarts, loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import requests

from gatepost.idp.pool import derived_client_id
from support import REPO, free_port, wait_http


def _serve(example: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gatepost", "serve", str(example / "gatepost.yaml"), "--port", str(port)],
        cwd=example, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _pool_user(cfg: Path, name: str, password: str, group: str) -> None:
    subprocess.run([sys.executable, "-m", "gatepost", "users", "create", name, "--password-stdin", "--group", group,
                    "--config", str(cfg)], input=f"{password}\n".encode(), check=True, capture_output=True, timeout=60)


def test_example_mobile_and_bank_routes(tmp_path: Path) -> None:
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples/payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    issuer_port, upstream_port, port = free_port(), free_port(), free_port()
    cfg = example / "gatepost.yaml"  # the shipped config, on free ports so parallel runs cannot collide
    cfg.write_text(cfg.read_text().replace("9100", str(issuer_port)).replace("9000", str(upstream_port)))
    proc = _serve(example, port)
    base, idp = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{issuer_port}"
    try:
        wait_http(base + "/_gatepost/ready", timeout=40)
        # the mobile users sign in to the built-in pool (boto3's cognito-idp client against the gateway)
        _pool_user(cfg, "bob", "Admin-Pass-123", "admins")
        _pool_user(cfg, "carol", "Carol-Pass-123", "customers")
        cognito = boto3.client("cognito-idp", endpoint_url=base + "/_gatepost/idp", region_name="us-east-1",
                               aws_access_key_id="unused", aws_secret_access_key="unused")
        client_id = derived_client_id("us-east-1_Payments1", "mobile-app")

        def sign_in(user: str, password: str) -> dict[str, str]:
            return dict(cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id, AuthParameters={
                "USERNAME": user, "PASSWORD": password})["AuthenticationResult"])

        mobile, carol = sign_in("bob", "Admin-Pass-123"), sign_in("carol", "Carol-Pass-123")
        r = requests.get(base + "/me", headers={"Authorization": f"Bearer {mobile['AccessToken']}"}, timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["x-gatepost-scopes"] == "aws.cognito.signin.user.admin profile.read"
        r = requests.get(base + "/me", headers={"Authorization": f"Bearer {mobile['IdToken']}"}, timeout=5)
        assert r.status_code == 401  # the route has scopes: an access token is required (AWS)
        r = requests.get(base + "/me/admin", headers={"Authorization": f"Bearer {mobile['AccessToken']}"}, timeout=5)
        assert r.status_code == 200, r.text
        r = requests.get(base + "/me/admin", headers={"Authorization": f"Bearer {carol['AccessToken']}"}, timeout=5)
        assert r.status_code == 403  # customers are not admins
        bank = requests.post(f"{idp}/bank/token", data={"aud": "payments.example.com", "sub": "bank-backoffice",
                                                        "claims": '{"actor": "treasury"}'}, timeout=5).json()
        r = requests.post(base + "/b2b/settlements", headers={"Authorization": f"Bearer {bank['access_token']}"},
                          json={"amount": 100}, timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["identity"]["x-gatepost-principal-id"] == "bank-backoffice"
        r = requests.post(base + "/b2b/settlements", headers={"Authorization": f"Bearer {mobile['AccessToken']}"},
                          timeout=5)
        assert r.status_code == 401  # the mobile pool's token is not the bank's
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode()
    assert "Traceback" not in out, out
    assert "jwks.fetched issuer=" in out
    assert "created demo user 'alice' (groups: customers)" in out and "Admin-Pass-123" not in out


def _issuer(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "gatepost.devtools.issuer", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=10)


def test_issuer_tool_tokens_rotation_and_kept_keys(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["--port", str(port), "--issuer", "bank", "--user-pool", "mobile", "--keys-dir", str(tmp_path)]
    proc = _issuer(args)
    try:
        wait_http(url + "/health")
        disco = requests.get(f"{url}/bank/.well-known/openid-configuration", timeout=5).json()
        assert disco["issuer"] == f"{url}/bank" and disco["jwks_uri"].startswith(url)
        first = requests.get(disco["jwks_uri"], timeout=5).json()["keys"]
        assert len(first) == 1 and "d" not in first[0]  # public parts only
        many = requests.post(f"{url}/bank/token", json={"aud": "x", "count": 5}, timeout=10).json()["tokens"]
        assert len(set(many)) == 5
        pool = requests.post(f"{url}/mobile/token", data={"groups": "admin,ops"}, timeout=5).json()
        assert {"access_token", "id_token"} <= set(pool)
        bad = requests.post(f"{url}/mobile/token", data={"token_use": "refresh"}, timeout=5)
        assert bad.status_code == 400
        kid = requests.post(f"{url}/bank/rotate", timeout=10).json()["kid"]
        keys = requests.get(disco["jwks_uri"], timeout=5).json()["keys"]
        assert [k["kid"] for k in keys] == [first[0]["kid"], kid]
    finally:
        _stop(proc)
    proc = _issuer(args)  # restarted: same keys
    try:
        wait_http(url + "/health")
        again = requests.get(f"{url}/bank/.well-known/jwks.json", timeout=5).json()["keys"]
        assert [k["kid"] for k in again] == [k["kid"] for k in keys]
        kid2 = requests.post(f"{url}/bank/rotate", params={"keep_old": "false"}, timeout=10).json()["kid"]
        assert [k["kid"] for k in requests.get(f"{url}/bank/.well-known/jwks.json", timeout=5).json()["keys"]] \
            == [kid2]
    finally:
        _stop(proc)


def test_issuer_tool_refuses_non_loopback() -> None:
    result = subprocess.run([sys.executable, "-m", "gatepost.devtools.issuer", "--host", "0.0.0.0", "--issuer", "x"],
                            capture_output=True, timeout=30)
    assert result.returncode == 2 and b"loopback" in result.stderr
