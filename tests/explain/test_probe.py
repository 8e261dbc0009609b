"""`gatepost probe` against real gateways: the leaky config is caught, the tight one passes, a broken
authorizer is a finding; the integration-call counts it relies on, with one worker and with several."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gatepost.bootstrap import build_gateway
from gatepost.cli import main
from gatepost.observe.integration_counts import IntegrationCalls
from gatepost.pipeline import serve
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog
from support import REPO, free_port, run_gateway, run_upstream, wait_http

CONFIGS = Path(__file__).resolve().parent / "configs"


def _config(tmp: Path, name: str, **values: str) -> tuple[Path, str]:
    text = (CONFIGS / name).read_text()
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    shutil.copy(CONFIGS / "probe_auth.py", tmp / "probe_auth.py")
    path = tmp / name
    path.write_text(text)
    return path, text


def _probe(capsys: pytest.CaptureFixture[str], url: str, config: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["probe", url, "--config", str(config), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _by_route(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["route"]: r for r in report["routes"]}


def _attempts(route: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in route["attempts"]}


def test_probe_catches_the_leaky_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with run_upstream() as up:
        path, text = _config(tmp_path, "leaky.yaml", UPSTREAM=up.url)
        with run_gateway(text, config_dir=tmp_path) as gw:
            code, report = _probe(capsys, gw.url, path)
    assert code == 1
    routes = _by_route(report)
    assert set(routes) == {"GET /orders", "DELETE /orders/{id}"}  # public routes are not probed
    orders = routes["GET /orders"]
    assert orders["verdict"] == "FAIL"
    attempts = _attempts(orders)
    assert attempts["garbage_bearer"]["status"] == 200 and attempts["garbage_bearer"]["verdict"] == "FAIL"
    assert attempts["no_credentials"]["status"] == 401  # the token header is still required
    assert orders["integration_calls"] >= 2 and up.count >= 2
    delete = routes["DELETE /orders/{id}"]
    other = _attempts(delete)["other_method"]
    assert (other["method"], other["status"], other["verdict"]) == ("GET", 200, "FAIL")  # the public catch-all
    assert delete["verdict"] == "FAIL" and delete["integration_calls"] == 1
    assert report["counts_problem"] is None


@pytest.fixture
def issuer_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64int(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


@contextlib.contextmanager
def _issuer(key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A real JWKS endpoint for the key the probe will mint expired tokens with."""
    numbers = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "probe-test", "use": "sig", "alg": "RS256",
                      "n": _b64int(numbers.n), "e": _b64int(numbers.e)}]}

    async def handler(request: web.Request, seen: dict[str, Any]) -> web.StreamResponse:
        return web.json_response(jwks)

    with run_upstream(handler) as up:
        yield up.url


def test_probe_passes_the_tight_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       issuer_key: rsa.RSAPrivateKey) -> None:
    pem = tmp_path / "issuer.pem"
    pem.write_bytes(issuer_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    with run_upstream() as up, _issuer(issuer_key) as issuer:
        path, text = _config(tmp_path, "tight.yaml", UPSTREAM=up.url, ISSUER=issuer)
        with run_gateway(text, config_dir=tmp_path) as gw:
            code, report = _probe(capsys, gw.url, path, "--jwt-key", str(pem), "--jwt-kid", "probe-test")
            allowed = gw.get("/orders", headers={"Authorization": "Bearer let-me-in"})
        assert allowed.status_code == 200 and up.count == 1  # the routes work for a real caller
    assert code == 0, report
    routes = _by_route(report)
    assert len(routes) == 5
    for route in routes.values():
        assert route["verdict"] == "pass", route
        assert route["integration_calls"] == 0
        for attempt in route["attempts"]:
            assert attempt["verdict"] in ("pass", "skipped")
            assert attempt["status"] is None or 400 <= attempt["status"] < 500
    settle = _attempts(routes["POST /settlements"])
    assert settle["expired_token"]["verdict"] == "pass" and settle["expired_token"]["status"] == 401
    assert _attempts(routes["POST /internal/refresh"])["bad_sigv4"]["status"] == 403
    partners = _attempts(routes["POST /partners/{id}/transactions"])
    assert {"missing_api_key", "wrong_api_key"} <= set(partners)
    assert _attempts(routes["GET /orders"])["expired_token"]["verdict"] == "skipped"


def test_a_failing_authorizer_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with run_upstream() as up:
        path, text = _config(tmp_path, "broken.yaml", UPSTREAM=up.url)
        with run_gateway(text, config_dir=tmp_path) as gw:
            code, report = _probe(capsys, gw.url, path)
            strict, _ = _probe(capsys, gw.url, path, "--strict")
    route = report["routes"][0]
    assert route["verdict"] == "finding" and _attempts(route)["garbage_bearer"]["status"] == 500
    assert (code, strict) == (0, 1)
    assert up.count == 0


def test_table_output_shows_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     caplog: pytest.LogCaptureFixture) -> None:
    secret = "probeSecretValue0123456789abcdefghijklmn"
    with run_upstream() as up:
        path, text = _config(tmp_path, "leaky.yaml", UPSTREAM=up.url)
        with run_gateway(text, config_dir=tmp_path) as gw, caplog.at_level(logging.DEBUG):
            capsys.readouterr()
            assert main(["probe", gw.url, "--config", str(path), "--sigv4-key", f"AKIDPROBE:{secret}"]) == 1
        sent = json.dumps(up.calls)
    captured = capsys.readouterr()
    out = captured.out
    assert "FAIL     shop  GET /orders" in out and "2 route(s): 2 failed, 0 with findings, 0 passed" in out
    for text_seen in (out, captured.err, caplog.text, sent):
        assert secret not in text_seen


def test_nothing_listening_is_an_error_not_a_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = _config(tmp_path, "broken.yaml", UPSTREAM="http://127.0.0.1:9")
    assert main(["probe", f"http://127.0.0.1:{free_port()}", "--config", str(path)]) == 2
    assert "does not answer" in capsys.readouterr().err


def test_counts_endpoint_serves_loopback_only() -> None:
    config = "apis:\n  a:\n    routes:\n      - {route: 'GET /x', public: true, integration: {mock: {status: 204}}}\n"
    with run_gateway(config) as gw:
        for _ in range(3):
            assert gw.get("/x").status_code == 204
        assert gw.get("/nothing").status_code == 403  # no route: never counted
        counts = gw.get("/_gatepost/integration-calls").json()
        assert counts["apis"] == {"a": {"GET /x": 3}} and counts["workers"] == 1
    remote = GatewayRequest(method="GET", path="/_gatepost/integration-calls", peer_ip="192.0.2.7")
    local = GatewayRequest(method="GET", path="/_gatepost/integration-calls", peer_ip="127.0.0.1")
    calls = IntegrationCalls(gw.gateway)
    assert asyncio.run(calls.handle(remote)).status == 403
    assert asyncio.run(calls.handle(local)).status == 200


COUNTED = ("server: {access_log: 'off'}\nstate: {catalog: 'sqlite:///gp.db'}\napis:\n  a:\n    routes:\n"
           "      - {route: 'GET /x', public: true, integration: {mock: {status: 204}}}\n")


async def test_worker_totals_are_summed_through_the_shared_file(tmp_path: Path) -> None:
    """Two workers' gateways, each counting its own requests through the real pipeline, one shared file."""
    shared = tmp_path / "calls.db"
    workers = [build_gateway(text=COUNTED, catalog=MemoryCatalog(), workers=2) for _ in range(2)]
    calls = [IntegrationCalls(gw, shared) for gw in workers]
    calls[1].worker += 1  # both live in this test process: give them distinct worker ids
    for gw, n in zip(workers, (3, 5), strict=True):
        for _ in range(n):
            response, _ = await serve(gw, GatewayRequest(method="GET", path="/x"))
            assert response.status == 204
    await calls[0].flush()
    assert await calls[1].summed() == {("a", "GET /x"): 8}
    assert await calls[0].summed() == {("a", "GET /x"): 8}
    response, _ = await serve(workers[0], GatewayRequest(method="GET", path="/x"))
    assert await calls[1].summed() == {("a", "GET /x"): 8}  # worker 0 has not flushed yet
    await calls[0].flush()
    assert await calls[1].summed() == {("a", "GET /x"): 9}


def test_counts_are_summed_across_worker_processes(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "gatepost.yaml"
    config.write_text(COUNTED)
    env = {"PATH": "/usr/bin:/bin", "GATEPOST_RUN_ID": f"test-{port}-{time.time_ns()}"}
    proc = subprocess.Popen([sys.executable, "-m", "gatepost", "serve", str(config), "--port", str(port),
                             "--workers", "2"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/_gatepost/ready", timeout=60)
        for _ in range(40):
            assert requests.get(url + "/x", headers={"Connection": "close"}, timeout=10).status_code == 204
        # Each worker writes its totals every 0.2 s: wait until both workers (a new connection each time,
        # whichever worker takes it) answer 40, then every answer is 40, whichever worker gives it.
        latest: dict[int, int] = {}  # worker pid -> its last answer
        deadline = time.monotonic() + 60
        while len(latest) < 2 or set(latest.values()) != {40}:
            assert time.monotonic() < deadline, latest
            with requests.Session() as fresh:
                counts = fresh.get(url + "/_gatepost/integration-calls", timeout=10).json()
                pid = fresh.get(url + "/_gatepost/health", timeout=10).json()["pid"]
            assert counts["workers"] == 2
            latest[pid] = counts["apis"]["a"]["GET /x"]
        for _ in range(10):
            again = requests.get(url + "/_gatepost/integration-calls", headers={"Connection": "close"}, timeout=10)
            assert again.json()["apis"]["a"]["GET /x"] == 40
    finally:
        proc.terminate()
        proc.wait(timeout=20)
