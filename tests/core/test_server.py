"""The server as users run it: `gatepost serve` processes, TLS, workers, graceful shutdown, hosts."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support import Upstream, run_gateway, run_upstream, wait_http
from support import serve_process as serve


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    return tmp / "cert.pem", tmp / "key.pem"


def test_tls_served_directly(tmp_path: Path, upstream: Upstream) -> None:
    cert, _ = self_signed(tmp_path)
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f"""
server: {{tls: {{cert: cert.pem, key: key.pem}}, access_log: "off"}}
state: {{catalog: "memory://"}}
apis:
  a:
    routes: [{{route: "GET /x", public: true}}]
    integration: {{http: "{upstream.url}"}}
""")
    with serve(cfg) as (_, port):
        deadline = time.monotonic() + 20
        while True:
            try:
                r = requests.get(f"https://localhost:{port}/x", verify=str(cert), timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()["headers"]["X-Forwarded-Proto"] == "https"
        try:
            requests.get(f"http://localhost:{port}/x", timeout=2)
            plain_ok = True
        except requests.RequestException:
            plain_ok = False
        assert not plain_ok


def test_two_workers_share_the_port(tmp_path: Path, upstream: Upstream) -> None:
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f"""
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///state/g.db"}}
apis:
  a:
    routes: [{{route: "GET /x", public: true}}]
    integration: {{http: "{upstream.url}"}}
""")
    with serve(cfg, "--workers", "2") as (_, port):
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=60)
        pids = set()
        deadline = time.monotonic() + 60  # the second worker may start seconds after the first answers
        while len(pids) < 2 and time.monotonic() < deadline:
            with requests.Session() as s:  # new connections spread over the workers (one still starting: its
                # backlog holds the connection until it answers)
                pids.add(s.get(f"http://127.0.0.1:{port}/_gatepost/health", timeout=60).json()["pid"])
        assert len(pids) == 2
        assert requests.get(f"http://127.0.0.1:{port}/x", timeout=5).status_code == 200


def test_graceful_shutdown_finishes_in_flight_requests(tmp_path: Path) -> None:
    async def slow(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        import asyncio

        await asyncio.sleep(1.0)
        return web.Response(text="finished")

    with run_upstream(slow) as up:
        cfg = tmp_path / "gatepost.yaml"
        cfg.write_text(f"""
server: {{access_log: "off", shutdown_timeout: 10}}
state: {{catalog: "memory://"}}
apis:
  a:
    routes: [{{route: "GET /slow", public: true}}]
    integration: {{http: "{up.url}"}}
""")
        with serve(cfg) as (proc, port):
            wait_http(f"http://127.0.0.1:{port}/_gatepost/ready")
            result: dict[str, object] = {}

            def call() -> None:
                r = requests.get(f"http://127.0.0.1:{port}/slow", timeout=10)
                result["status"], result["text"] = r.status_code, r.text

            t = threading.Thread(target=call)
            t.start()
            time.sleep(0.3)  # the request is in flight at the upstream
            os.killpg(proc.pid, signal.SIGTERM)
            t.join(timeout=15)
            assert result == {"status": 200, "text": "finished"}
            assert proc.wait(timeout=15) == 0


def test_apis_by_host_and_base_path(upstream: Upstream) -> None:
    cfg = """
apis:
  admin:
    hosts: [admin.example.com]
    routes: [{route: "GET /x", public: true, integration: {mock: {body: admin}}}]
  v1:
    base_path: /v1
    routes: [{route: "GET /x", public: true, integration: {mock: {body: v1}}}]
  root:
    routes: [{route: "GET /x", public: true, integration: {mock: {body: root}}}]
"""
    with run_gateway(cfg) as gw:
        assert gw.get("/x").text == "root"
        assert gw.get("/v1/x").text == "v1"
        assert gw.get("/x", headers={"Host": "admin.example.com"}).text == "admin"
        assert gw.get("/x", headers={"Host": "ADMIN.example.com:8080"}).text == "admin"
        assert gw.get("/v1x").status_code == 403


def test_env_interpolation(upstream: Upstream, monkeypatch: object) -> None:
    os.environ["GATEPOST_TEST_UPSTREAM"] = upstream.url
    try:
        cfg = """
apis:
  a:
    stage_variables: {literal: "$${NOT_A_VAR}", fallback: "${GATEPOST_TEST_UNSET:-dflt}"}
    routes: [{route: "GET /x", public: true}]
    integration: {http: "${GATEPOST_TEST_UPSTREAM}"}
"""
        with run_gateway(cfg) as gw:
            assert gw.get("/x").status_code == 200
            api = gw.gateway.apis[0]
            assert dict(api.info.stage_variables) == {"literal": "${NOT_A_VAR}", "fallback": "dflt"}
    finally:
        del os.environ["GATEPOST_TEST_UPSTREAM"]


def test_serve_refuses_a_bad_config_with_located_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text('apis:\n  a:\n    routes: [{route: "GET /x"}]\n    integration: {mock: {}}\n')
    out = subprocess.run([sys.executable, "-m", "gatepost", "serve", str(cfg)], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 1
    assert "bad.yaml:3" in out.stderr and "denies by default" in out.stderr
