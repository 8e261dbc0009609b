"""The native references measured in every run: the upstream, nginx as a proxy, HAProxy as a proxy and
HAProxy verifying an RS256 JWT on every request (perf-baseline.md section 8's frontend). Each is skipped,
with a line saying how to install it, when its binary is missing.

    apt-get install -y nginx haproxy       # Debian 12: nginx 1.22, HAProxy 2.6 (jwt_verify since 2.5)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from context import Context
from procs import start, stop, taskset
from scenarios import AUDIENCE, jwt_material

Reference = tuple[str, str, tuple[int, Callable[[], None]], dict[str, str], str]


def nginx_conf(tmp: Path, listen: int, body: str) -> Path:
    conf = tmp / f"nginx-{listen}.conf"
    conf.write_text(f"""
worker_processes 1; daemon off; pid {tmp}/nginx-{listen}.pid; error_log {tmp}/nginx-{listen}.err warn;
events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  {body.replace("LISTEN", str(listen))} }}
""")
    return conf


def upstream(tmp: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    """The backend every proxy row talks to, on core 1: nginx `return 200 "ok"`, else a small aiohttp app."""
    from procs import free_port

    port = free_port()
    if shutil.which("nginx"):
        conf = nginx_conf(tmp, port, 'server { listen 127.0.0.1:LISTEN; location / { return 200 "ok"; } }')
        return (start([*taskset(1), "nginx", "-c", str(conf), "-p", str(tmp)], tmp, port, name="upstream"), port,
                "nginx return 200")
    code = ("from aiohttp import web\nasync def ok(r): return web.Response(text='ok')\n"
            "app=web.Application(); app.router.add_route('*','/{t:.*}',ok)\n"
            f"web.run_app(app, host='127.0.0.1', port={port}, print=None, access_log=None)\n")
    return start([*taskset(1), sys.executable, "-c", code], tmp, port, name="upstream"), port, "aiohttp"


def haproxy_conf(tmp: Path, listen: int, up_port: int, jwt: tuple[str, Path] | None) -> Path:
    """One thread (the baseline's `nbthread 1`); with `jwt` = (issuer, public PEM): alg, iss, aud, exp, signature."""
    check = ""
    if jwt:
        issuer, pem = jwt
        check = f"""
  http-request set-var(txn.bearer) http_auth_bearer
  http-request set-var(txn.jwt_alg) var(txn.bearer),jwt_header_query('$.alg')
  http-request deny deny_status 401 unless {{ var(txn.jwt_alg) -m str RS256 }}
  http-request deny deny_status 401 unless {{ var(txn.bearer),jwt_payload_query('$.iss') -m str {issuer} }}
  http-request deny deny_status 401 unless {{ var(txn.bearer),jwt_payload_query('$.aud') -m str {AUDIENCE} }}
  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')
  http-request set-var(txn.now) date()
  http-request deny deny_status 401 if {{ var(txn.exp),sub(txn.now) -m int lt 0 }}
  http-request deny deny_status 401 unless {{ var(txn.bearer),jwt_verify(txn.jwt_alg,"{pem}") -m int 1 }}"""
    conf = tmp / f"haproxy-{listen}.cfg"
    conf.write_text(f"""
global
  maxconn 8000
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:{listen}{check}
  default_backend be
backend be
  server up 127.0.0.1:{up_port} maxconn 1000
""")
    return conf


def status(url: str, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def check_jwt_reference(url: str, token: str) -> None:
    """The reference must really verify: the token passes, a tampered signature and no token do not."""
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload}.{sig[:-6]}{'A' if sig[-6] != 'A' else 'B'}{sig[-5:]}"
    got = (status(url, {"Authorization": f"Bearer {token}"}), status(url, {"Authorization": f"Bearer {tampered}"}),
           status(url, {}))
    if got != (200, 401, 401):
        raise RuntimeError(f"HAProxy JWT reference answered {got} for (valid, tampered, none), not (200, 401, 401)")


def native(ctx: Context, up_port: int) -> Iterator[Reference]:
    """Each reference started on core 0 (the gateway's core), yielded, then stopped by the caller's callback."""
    from procs import free_port

    if shutil.which("nginx"):
        port = free_port()
        conf = nginx_conf(ctx.tmp, port, f"upstream u {{ server 127.0.0.1:{up_port}; keepalive 256; }} "
                          "server { listen 127.0.0.1:LISTEN; location / { proxy_pass http://u; "
                          'proxy_http_version 1.1; proxy_set_header Connection ""; } }')
        proc = start([*taskset(0), "nginx", "-c", str(conf), "-p", str(ctx.tmp)], ctx.tmp, port, name="nginx")
        yield ("nginx proxy (reference)", f"http://127.0.0.1:{port}/", (proc.pid, lambda: stop(proc)), {},
               "keep-alive upstream")
    else:
        print("skipped: nginx reference (apt-get install -y nginx)", file=sys.stderr)
    if not shutil.which("haproxy"):
        print("skipped: HAProxy references (apt-get install -y haproxy; 2.5+ for jwt_verify)", file=sys.stderr)
        return
    material = jwt_material(ctx)
    header = {"Authorization": f"Bearer {material.token}"}
    for name, jwt, note in (
            ("haproxy proxy (reference)", None, "HAProxy 2.6, nbthread 1, the same bearer header, not checked"),
            ("haproxy + jwt_verify RS256 (reference)", (material.issuer, material.public_pem),
             "verifies alg, iss, aud, exp and the RS256 signature on every request (no cache)")):
        port = free_port()
        conf = haproxy_conf(ctx.tmp, port, up_port, jwt)
        proc = start([*taskset(0), "haproxy", "-db", "-f", str(conf)], ctx.tmp, port, name="haproxy")
        if jwt:
            check_jwt_reference(f"http://127.0.0.1:{port}/", material.token)
        yield name, f"http://127.0.0.1:{port}/", (proc.pid, lambda p=proc: stop(p)), header, note  # type: ignore[misc]
