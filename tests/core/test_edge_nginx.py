"""A real normalising upstream (nginx) behind a public greedy route and `$default`: no spelling of a
protected path is served without its authorizer. nginx decodes once, merges slashes and resolves dot
segments before it picks a location, so every path trick that works against a gateway routing the raw
path works here."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import free_port, raw_http, run_gateway

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {tmp}/error.log;
pid {tmp}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /admin {{ return 200 "ADMIN $uri"; }}
    location /admin/ {{ return 200 "ADMIN $uri"; }}
    location / {{ return 200 "PUBLIC $uri"; }}
  }}
}}
"""

GATEWAY = """
apis:
  shop:
    flavour: http
    authorizers:
      bank: {{type: jwt, issuer: "http://127.0.0.1:9", audiences: [shop]}}
    routes:
      - {{route: "GET /admin", authorizer: bank}}
      - {{route: "GET /admin/{{proxy+}}", authorizer: bank}}
      - {{route: "ANY /public/{{proxy+}}", public: true}}
      - {{route: "$default", public: true}}
    integration: {{http: "{upstream}"}}
"""

CLIMBS = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "..%2f", "..%2F", "..%5c", "..\\", "..;", "%2e%2e;x", "%252e%252e",
          "%2e%2e%2f", ".%252e", "..%00", "%c0%ae%c0%ae"]
TARGETS = ["admin", "admin/", "admin/users", "%61dmin", "adm%69n/users", "admin;x", "admin%2fusers", "admin%3b",
           "ADMIN", "admin#frag", "admin%23x", "admin/.", "admin/x/.."]


def attacks() -> list[str]:
    paths = {f"/{t}" for t in TARGETS} | {f"//{t}" for t in TARGETS}
    paths |= {"/public/..%2fadmin", "/public/..%2Fadmin/users", "/public/%2e%2e%2fadmin", "/public/..%5cadmin"}
    for base in ("/public/", "/public/x/", "/", "/nothing/", "/public//"):
        for climb in CLIMBS:
            for target in ("admin", "admin/users", "%61dmin"):
                paths.add(f"{base}{climb}/{target}")
                paths.add(f"{base}{climb}/{climb}/{target}")
    return sorted(paths)


@contextlib.contextmanager
def run_nginx(tmp: Path) -> Iterator[str]:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert binary, "nginx is not installed: run `bash scripts/setup.sh test`"
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while b"PUBLIC" not in _get(port, "/"):
            assert proc.poll() is None and time.monotonic() < deadline, (tmp / "error.log").read_text()
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(port: int, path: str) -> bytes:
    try:
        return raw_http(port, f"GET {path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n".encode())
    except OSError:
        return b""


def answer(port: int, path: str) -> tuple[int, bytes]:
    response = _get(port, path)
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_nginx(tmp_path_factory.mktemp("nginx")) as url:
        yield url


def test_the_corpus_reaches_the_protected_location_when_nginx_is_alone(nginx: str) -> None:
    """Without the gateway, nginx serves the protected location for the tricks it normalises: the corpus
    is a real threat, not a list of paths nobody would serve."""
    port = int(nginx.rsplit(":", 1)[1])
    served = [p for p in attacks() if answer(port, p)[1].startswith(b"ADMIN")]
    assert {"/public/../admin", "/public/%2e%2e/admin", "/public/..%2fadmin", "/%61dmin",
            "//admin"} <= set(served)


def test_no_protected_path_is_served_past_the_public_routes(nginx: str) -> None:
    with run_gateway(GATEWAY.format(upstream=nginx)) as gw:
        assert answer(gw.port, "/public/x") == (200, b"PUBLIC /public/x")  # the public routes work
        assert answer(gw.port, "/elsewhere") == (200, b"PUBLIC /elsewhere")
        assert answer(gw.port, "/admin")[0] == 401  # the protected route asks for a token
        outcomes: dict[int, int] = {}
        for path in attacks():
            status, body = answer(gw.port, path)
            assert not body.startswith(b"ADMIN"), f"{path} was served as the protected location: {body!r}"
            assert status in (200, 400, 401), (path, status, body)
            assert status != 200 or body.startswith(b"PUBLIC"), (path, body)
            outcomes[status] = outcomes.get(status, 0) + 1
        assert outcomes.get(401, 0) > 50 and outcomes.get(400, 0) > 50  # resolved to /admin, or refused
