"""Drive Gatepost with a bounded load on 127.0.0.1 and print one table, with baselines measured in the
same run: the upstream alone, nginx as a proxy (when installed), Gatepost per route kind.

    .venv/bin/python bench/run.py [--duration 5] [--connections 50] [--only NAME,...] [--workers 1]

The gateway is pinned to core 0, the load generator (wrk, else a Python client) and the upstream to
core 1. CPU per request is the gateway's utime+stime over the measured window, divided by requests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from scenarios import SCENARIOS, Scenario  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} not ready")


def taskset(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its live children (uvicorn workers)."""
    total = 0.0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK
        except (OSError, IndexError):
            pass
    return total


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float | None
    errors: int
    note: str = ""


def parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return rps, pct("50"), pct("99"), errors, total


def load(url: str, sc: Scenario | None, args: argparse.Namespace, tmp: Path) -> tuple[float, float, float, int, int]:
    headers = sc.headers if sc else {}
    method = sc.method if sc else "GET"
    if shutil.which("wrk"):
        cmd = [*taskset(1), "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
               "--timeout", "5s"]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        script = tmp / "req.lua"
        if sc and sc.lua:
            script.write_text(sc.lua)
            cmd += ["-s", str(script)]
        elif method != "GET":
            script.write_text(f'wrk.method = "{method}"\n')
            cmd += ["-s", str(script)]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
        return parse_wrk(out)
    return python_load(url, method, headers, args)


def python_load(url: str, method: str, headers: dict[str, str], args: argparse.Namespace) -> tuple[float, float, float, int, int]:
    import asyncio

    import aiohttp

    async def run() -> tuple[float, float, float, int, int]:
        lat: list[float] = []
        errors = 0
        stop = time.monotonic() + args.duration
        async with aiohttp.ClientSession() as s:
            async def worker() -> None:
                nonlocal errors
                while time.monotonic() < stop:
                    t = time.perf_counter()
                    async with s.request(method, url, headers=headers) as r:
                        await r.read()
                        errors += r.status >= 300
                    lat.append(time.perf_counter() - t)
            start = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(args.connections)))
            elapsed = time.monotonic() - start
        lat.sort()
        return (len(lat) / elapsed, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000, errors, len(lat))

    return asyncio.run(run())


def start(cmd: list[str], cwd: Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, **(env or {})})
    try:
        wait_port(port)
    except TimeoutError:
        proc.kill()
        raise RuntimeError(f"{cmd[0]} did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


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
    port = free_port()
    if shutil.which("nginx"):
        conf = nginx_conf(tmp, port, 'server { listen 127.0.0.1:LISTEN; location / { return 200 "ok"; } }')
        return start([*taskset(1), "nginx", "-c", str(conf), "-p", str(tmp)], tmp, port), port, "nginx return 200"
    code = ("from aiohttp import web\nasync def ok(r): return web.Response(text='ok')\n"
            "app=web.Application(); app.router.add_route('*','/{t:.*}',ok)\n"
            f"web.run_app(app, host='127.0.0.1', port={port}, print=None, access_log=None)\n")
    return start([*taskset(1), sys.executable, "-c", code], tmp, port), port, "aiohttp"


def gateway_config(up_port: int, scenarios: list[Scenario]) -> str:
    indent = lambda text, n: "\n".join(" " * n + line for line in text.strip().splitlines())  # noqa: E731
    routes = "\n".join(indent(s.routes, 6) for s in scenarios if s.routes)
    authorizers = "\n".join(indent(s.authorizers, 6) for s in scenarios if s.authorizers)
    top = "\n".join(s.top_level.strip() for s in scenarios if s.top_level)
    return f"""
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///bench.db"}}
{top}
apis:
  bench:
    authorizers:
{authorizers or "      {}"}
    routes:
{routes}
    integration: {{http: "http://127.0.0.1:{up_port}"}}
""".replace("    authorizers:\n      {}", "    authorizers: {}")


def runs(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(engine, workers) pairs: every engine with the first worker count, then the first engine with more."""
    pairs = [(e, args.workers[0]) for e in args.engines]
    return pairs + [(args.engines[0], w) for w in args.workers[1:]]


def gateway_rows(scenarios: list[Scenario], engine: str, workers: int, up_port: int, args: argparse.Namespace,
                 tmp: Path, suffix: str) -> list[Result]:
    """One gateway process (and its workers) serving every scenario; pinned to core 0 when it has one worker.
    With more workers it spans both cores, shared with wrk and the upstream (read the ratio, not the rate)."""
    conf = tmp / f"gatepost-{engine}-{workers}.yaml"
    conf.write_text(gateway_config(up_port, scenarios).replace(
        'server: {access_log: "off"}', f'server: {{access_log: "off", engine: {engine}}}'))
    port = free_port()
    pin = taskset(0) if workers == 1 else []
    gw = start([*pin, str(REPO / ".venv/bin/gatepost"), "serve", str(conf), "--port", str(port),
                "--workers", str(workers)], tmp, port)
    try:
        wait_ready(port, workers)
        return [measure(sc.name + suffix, f"http://127.0.0.1:{port}{sc.path}", sc, args, tmp, gw.pid,
                        sc.note if not suffix else f"{sc.note}; {engine}, {workers} worker(s)")
                for sc in scenarios]
    finally:
        stop(gw)


def wait_ready(port: int, workers: int, timeout: float = 30) -> None:
    """Every worker answers (the port opens as soon as the first one listens)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    pids: set[int] = set()
    while len(pids) < workers and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_gatepost/health", timeout=2) as r:
                pids.add(json.loads(r.read())["pid"])
        except OSError:
            time.sleep(0.1)


def measure(name: str, url: str, sc: Scenario | None, args: argparse.Namespace, tmp: Path,
            pid: int | None, note: str) -> Result:
    saved = args.duration
    args.duration = args.warmup
    load(url, sc, args, tmp)
    args.duration = saved
    cpu0 = cpu_seconds(pid) if pid else 0.0
    rps, p50, p99, errors, total = load(url, sc, args, tmp)
    cpu = (cpu_seconds(pid) - cpu0) / total * 1e6 if pid and total else None
    return Result(name, rps, p50, p99, cpu, errors, note)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=5, help="seconds measured per scenario (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per scenario (default 1)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2],
                   help="gateway worker processes, comma-separated (default 1,2; >1 only for comparable rows)")
    p.add_argument("--engines", type=lambda v: [x.strip() for x in v.split(",")], default=["native", "uvicorn"],
                   help="server engines, comma-separated; the first one runs every scenario (default native,uvicorn)")
    p.add_argument("--only", help="comma-separated scenario names (substring match)")
    p.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = p.parse_args()

    scenarios = [f() for f in SCENARIOS]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        scenarios = [s for s in scenarios if any(w in s.name for w in wanted)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="gatepost-bench-") as t:
        tmp = Path(t)
        up, up_port, up_kind = upstream(tmp)
        try:
            results.append(measure("upstream alone (direct)", f"http://127.0.0.1:{up_port}/", None, args, tmp,
                                   None, up_kind))
            if shutil.which("nginx"):
                nport = free_port()
                conf = nginx_conf(tmp, nport, f"upstream u {{ server 127.0.0.1:{up_port}; keepalive 256; }} "
                                  "server { listen 127.0.0.1:LISTEN; location / { proxy_pass http://u; "
                                  'proxy_http_version 1.1; proxy_set_header Connection ""; } }')
                ngx = start([*taskset(0), "nginx", "-c", str(conf), "-p", str(tmp)], tmp, nport)
                try:
                    results.append(measure("nginx proxy (reference)", f"http://127.0.0.1:{nport}/", None, args,
                                           tmp, ngx.pid, "keep-alive upstream"))
                finally:
                    stop(ngx)
            for sc in scenarios:
                if sc.setup:
                    sc.setup(tmp, sc)
            for engine, workers in runs(args):
                first = (engine, workers) == (args.engines[0], args.workers[0])
                chosen = scenarios if first else [s for s in scenarios if s.compare]
                results += gateway_rows(chosen, engine, workers, up_port, args, tmp, "" if first else
                                        f" [{engine}]" if workers == 1 else f" [{engine}, {workers} workers]")
        finally:
            stop(up)
    print_table(results, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    return 0


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    nginx = next((r for r in results if r.name.startswith("nginx")), None)
    print(f"\nc={args.connections}, {args.duration}s per row, engines={','.join(args.engines)}, "
          f"workers={','.join(map(str, args.workers))}, "
          f"load generator: {'wrk' if shutil.which('wrk') else 'python'}\n")
    print("| scenario | req/s | p50 ms | p99 ms | CPU µs/req | × nginx req/s | CPU × nginx | errors | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        ratio = f"{r.rps / nginx.rps:.3f}" if nginx else "-"
        cpu_ratio = f"{r.cpu_us / nginx.cpu_us:.1f}" if nginx and nginx.cpu_us and r.cpu_us else "-"
        cpu = f"{r.cpu_us:.1f}" if r.cpu_us is not None else "-"
        print(f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {cpu} | {ratio} | {cpu_ratio} | "
              f"{r.errors} | {r.note} |")


if __name__ == "__main__":
    raise SystemExit(main())
