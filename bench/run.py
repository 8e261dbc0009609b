"""Drive Gatepost with a bounded load on 127.0.0.1 and print one table, with baselines measured in the
same run: the upstream alone, nginx as a proxy, HAProxy as a proxy and verifying an RS256 JWT (each when
installed), Gatepost per route kind, and the peers (serverless-offline, MiniStack) when installed.

    .venv/bin/python bench/run.py [--duration 5] [--connections 50] [--only NAME,...] [--workers 1,2]
                                  [--no-peers]
    .venv/bin/python bench/run.py --quick       # the regression guard: main rows, ratios to nginx, < 2 minutes

Install the references and peers (none is a runtime dependency; a missing one is skipped with a note):
    apt-get install -y wrk nginx haproxy redis-server      # HAProxy 2.6+ has jwt_verify (Debian 12)
    cd bench/.peers && npm install serverless@3 serverless-offline@13          # Node 18+
    python3 -m venv bench/.peers/ministack && bench/.peers/ministack/bin/pip install ministack

The gateway is pinned to core 0, the load generator (wrk, else a Python client), the upstream and the
helpers (issuer, Redis) to core 1. CPU per request is the system-under-test's utime+stime over the
measured window (process and descendants, from /proc), divided by the requests completed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402
import references  # noqa: E402
from context import Context  # noqa: E402
from procs import cpu_seconds, free_port, start, stop, taskset  # noqa: E402
from scenarios import SCENARIOS, Scenario, read_invocations  # noqa: E402

__all__ = ["REPO", "Result", "Scenario", "free_port", "gateway_config", "load", "start", "stop", "taskset"]


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float | None
    errors: int
    note: str = ""
    requests: int = 0  # warm-up + measured
    invocations: int | None = None  # a Lambda authorizer's, over the same requests
    mix: str | None = None


last_output = ""  # wrk's output of the last load() (bench/latency.py reads more percentiles from it)


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
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True,
                             timeout=args.duration + 30).stdout
        global last_output
        last_output = out
        return parse_wrk(out)
    if sc and sc.lua:
        raise SystemExit(f"{sc.name} needs wrk (its requests vary per request through a Lua script)")
    return python_load(url, method, headers, args)


def python_load(url: str, method: str, headers: dict[str, str],
                args: argparse.Namespace) -> tuple[float, float, float, int, int]:
    import asyncio

    import aiohttp

    async def run() -> tuple[float, float, float, int, int]:
        lat: list[float] = []
        errors = 0
        stop_at = time.monotonic() + args.duration
        async with aiohttp.ClientSession() as s:
            async def worker() -> None:
                nonlocal errors
                while time.monotonic() < stop_at:
                    t = time.perf_counter()
                    async with s.request(method, url, headers=headers) as r:
                        await r.read()
                        errors += r.status >= 300
                    lat.append(time.perf_counter() - t)
            begin = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(args.connections)))
            elapsed = time.monotonic() - begin
        lat.sort()
        return (len(lat) / elapsed, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000, errors, len(lat))

    return asyncio.run(run())


def measure(name: str, url: str, sc: Scenario | None, args: argparse.Namespace, ctx: Context,
            pid: int | None, note: str) -> Result:
    """Warm-up, then the measured window. Invocations are counted from before the warm-up (a cold cache)."""
    inv0 = read_invocations(ctx, sc.counter) if sc and sc.counter else None
    warm = load(url, sc, argparse.Namespace(**{**vars(args), "duration": args.warmup}), ctx.tmp)
    cpu0 = cpu_seconds(pid) if pid else 0.0
    rps, p50, p99, errors, total = load(url, sc, args, ctx.tmp)
    cpu = (cpu_seconds(pid) - cpu0) / total * 1e6 if pid and total else None
    inv = read_invocations(ctx, sc.counter) - inv0 if sc and sc.counter and inv0 is not None else None
    return Result(name, rps, p50, p99, cpu, errors + warm[3], note, warm[4] + total, inv, sc.mix if sc else None)


# ---- the quick check (the regression guard) -------------------------------------------------------------------

# the main rows: (label, scenario name) - every route kind a change to the request path could slow down
QUICK_ROWS = (
    ("public route", "gatepost public route"),
    ("JWT, repeated token", "gatepost JWT RS256, repeated token"),
    ("SigV4", "gatepost SigV4 (IAM)"),
    ("API key + usage plan (memory)", "gatepost API key + usage plan (memory)"),
    ("Lambda-proxy", "gatepost Lambda-proxy route (Python handler)"),
)
QUICK_REFERENCES = ("nginx proxy", "haproxy + jwt_verify")


def quick(args: argparse.Namespace) -> None:
    """--quick: the main rows and nginx (and HAProxy-with-JWT when installed), 2 s each after 1 s of warm-up,
    one worker, no peers."""
    args.duration, args.warmup, args.workers, args.no_peers = 2, 1, [1], True
    args.exact = [name for _, name in QUICK_ROWS]  # (names hold commas: not through --only)


def print_quick(results: list[Result]) -> None:
    nginx, hap = row(results, "nginx proxy"), row(results, "haproxy + jwt_verify")
    print("\nQuick check: each main row against nginx (and HAProxy verifying RS256) in this run\n")
    print("| row | req/s | CPU µs/req | CPU x nginx | req/s x nginx | req/s x HAProxy+JWT |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, name in QUICK_ROWS:
        r = next((x for x in results if x.name == name), None)
        if r is None:
            continue
        cpu = f"{r.cpu_us:.1f}" if r.cpu_us is not None else "-"
        cpu_x = f"{r.cpu_us / nginx.cpu_us:.2f}" if nginx and nginx.cpu_us and r.cpu_us else "-"
        rps_x = f"{r.rps / nginx.rps:.3f}" if nginx else "-"
        hap_x = f"{r.rps / hap.rps:.2f}" if hap else "-"
        print(f"| {label} | {r.rps:,.0f} | {cpu} | {cpu_x} | {rps_x} | {hap_x} |")
    if nginx:
        print(f"\nnginx: {nginx.rps:,.0f} req/s, {nginx.cpu_us or math.nan:.1f} µs CPU per request"
              + (f"; HAProxy+JWT: {hap.rps:,.0f} req/s, {hap.cpu_us or math.nan:.1f} µs" if hap else ""))


# ---- the gateway ----------------------------------------------------------------------------------------------

def gateway_config(up_port: int, scenarios: list[Scenario]) -> str:
    def indent(text: str, n: int) -> str:
        return "\n".join(" " * n + line for line in text.strip().splitlines())

    def unique(parts: Iterator[str]) -> list[str]:
        return list(dict.fromkeys(p for p in parts if p.strip()))

    routes = "\n".join(unique(indent(s.routes, 6) for s in scenarios))
    authorizers = "\n".join(unique(indent(s.authorizers, 6) for s in scenarios))
    top = "\n".join(unique(s.top_level.strip() for s in scenarios))
    state = ", ".join(unique(s.state for s in scenarios))
    return f"""
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///bench.db"{", " + state if state else ""}}}
{top}
apis:
  bench:
    api_id: bench
    authorizers:{"" if authorizers else " {}"}
{authorizers}
    routes:
{routes}
    integration: {{http: "http://127.0.0.1:{up_port}"}}
"""


def groups(scenarios: list[Scenario]) -> dict[str, list[Scenario]]:
    out: dict[str, list[Scenario]] = {}
    for sc in scenarios:
        out.setdefault(sc.gateway, []).append(sc)
    return out


def runs(args: argparse.Namespace) -> list[int]:
    """The worker counts after the first."""
    return list(args.workers[1:])


def gateway_rows(conf: Path, scenarios: list[Scenario], workers: int, args: argparse.Namespace, ctx: Context,
                 suffix: str = "", note: str = "") -> list[Result]:
    """One gateway process (and its workers) serving `scenarios`; pinned to core 0 when it has one worker.
    With more workers it spans both cores, shared with wrk and the upstream (read the ratio, not the rate)."""
    port = free_port()
    pin = taskset(0) if workers == 1 else []
    gw = start([*pin, str(REPO / ".venv/bin/gatepost"), "serve", str(conf), "--port", str(port),
                "--workers", str(workers)], ctx.tmp, port, name=conf.stem)
    try:
        wait_ready(port, workers)
        warm = [s for s in scenarios if not s.mix]  # the mix rows count invocations from a cold cache
        if warm:  # the first seconds after start are slower (imports, first fetches, GC): not measured
            first = warm[0]
            if first.prepare:
                first.prepare(ctx, first, f"http://127.0.0.1:{port}")
            load(f"http://127.0.0.1:{port}{first.path}", first,
                 argparse.Namespace(**{**vars(args), "duration": max(2, args.warmup)}), ctx.tmp)
        results = []
        for sc in scenarios:
            base = f"http://127.0.0.1:{port}"
            if sc.prepare:
                sc.prepare(ctx, sc, base)
            results.append(measure(sc.name + suffix, base + sc.path, sc, args, ctx, gw.pid,
                                   f"{sc.note}; {note}" if note else sc.note))
        return results
    finally:
        stop(gw)


def each_served(ctx: Context, up_port: int, scenarios: list[Scenario]) -> Iterator[tuple[Scenario, int, int]]:
    """(scenario, port, gateway pid) for each scenario, served by a one-worker gateway on core 0 started per
    group (its setup done before, its prepare step right before it is yielded); each gateway is stopped when
    its group is done."""
    for label, chosen in groups(scenarios).items():
        conf = ctx.tmp / f"gatepost-{label or 'main'}.yaml"
        conf.write_text(gateway_config(up_port, chosen))
        ctx.config = conf
        for sc in chosen:
            if sc.setup:
                sc.setup(ctx, sc)
        port = free_port()
        gw = start([*taskset(0), str(REPO / ".venv/bin/gatepost"), "serve", str(conf), "--port", str(port)], ctx.tmp,
                   port, name=conf.stem)
        try:
            wait_ready(port, 1)
            for sc in chosen:
                if sc.prepare:
                    sc.prepare(ctx, sc, f"http://127.0.0.1:{port}")
                yield sc, port, gw.pid
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


# ---- main -------------------------------------------------------------------------------------------------

def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=5, help="seconds measured per row (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per row (default 1)")
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2],
                   help="gateway worker processes, comma-separated (default 1,2; >1 only for comparable rows)")
    p.add_argument("--only", help="comma-separated scenario names (substring match)")
    p.add_argument("--no-references", action="store_true", help="skip nginx/HAProxy rows")
    p.add_argument("--no-peers", action="store_true", help="skip serverless-offline and MiniStack")
    p.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    p.add_argument("--quick", action="store_true",
                   help="the regression guard (< 2 minutes): the main rows and nginx, 2 s each, ratios to nginx; "
                        "writes results/quick.json unless --json is given")
    args = p.parse_args()
    if args.quick:
        quick(args)
        if args.json == HERE / "results" / "latest.json":
            args.json = HERE / "results" / "quick.json"

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="gatepost-bench-") as t:
        ctx = Context(Path(t))
        try:
            results = run_all(args, ctx)
        finally:
            ctx.close()
    print_table(results, args)
    if args.quick:
        print_quick(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    return 0


def run_all(args: argparse.Namespace, ctx: Context) -> list[Result]:
    scenarios = [f(ctx) for f in SCENARIOS]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        scenarios = [s for s in scenarios if any(w in s.name for w in wanted)]
    if args.quick:
        scenarios = [s for s in scenarios if s.name in args.exact]
    up, up_port, up_kind = references.upstream(ctx.tmp)
    results: list[Result] = []
    try:
        by_gateway = groups(scenarios)
        confs = {label: ctx.tmp / f"gatepost-{label or 'main'}.yaml" for label in by_gateway}
        for label, chosen in by_gateway.items():
            confs[label].write_text(gateway_config(up_port, chosen))
        ctx.config = next(iter(confs.values()), None)
        for sc in scenarios:
            if sc.setup:
                sc.setup(ctx, sc)
        results.append(measure("upstream alone (direct)", f"http://127.0.0.1:{up_port}/", None, args, ctx, None,
                               up_kind))
        if not args.no_references:
            for name, url, pid_stop, headers, note in references.native(ctx, up_port):
                if args.quick and not name.startswith(QUICK_REFERENCES):
                    pid_stop[1]()
                    continue
                try:
                    sc = Scenario(name, "/", headers=headers)
                    results.append(measure(name, url, sc, args, ctx, pid_stop[0], note))
                finally:
                    pid_stop[1]()
        for label, chosen in by_gateway.items():
            results += gateway_rows(confs[label], chosen, args.workers[0], args, ctx)
        compare = [s for s in scenarios if s.compare]
        for workers in runs(args) if compare else []:
            conf = ctx.tmp / f"gatepost-{workers}.yaml"
            conf.write_text(gateway_config(up_port, compare))
            results += gateway_rows(conf, compare, workers, args, ctx, f" [{workers} workers]", f"{workers} worker(s)")
        if not args.no_peers:
            for peer in peers.each(ctx, up_port):
                for name, url, pid, headers, note, conns in peer.rows():
                    sc = Scenario(name, "/", headers=headers)
                    peer_args = argparse.Namespace(**{**vars(args), "connections": conns or args.connections})
                    results.append(measure(name, url, sc, peer_args, ctx, pid, note))
    finally:
        stop(up)
    return results


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    nginx = next((r for r in results if r.name.startswith("nginx")), None)
    print(f"\nc={args.connections}, {args.duration}s per row after {args.warmup}s of warm-up, "
          f"workers={','.join(map(str, args.workers))}, "
          f"load generator: {'wrk' if shutil.which('wrk') else 'python'}\n")
    print("| scenario | req/s | p50 ms | p99 ms | CPU µs/req | x nginx req/s | CPU x nginx | errors | "
          "authorizer invocations | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        ratio = f"{r.rps / nginx.rps:.3f}" if nginx else "-"
        cpu_ratio = f"{r.cpu_us / nginx.cpu_us:.1f}" if nginx and nginx.cpu_us and r.cpu_us else "-"
        cpu = f"{r.cpu_us:.1f}" if r.cpu_us is not None else "-"
        inv = f"{r.invocations:,} / {r.requests:,}" if r.invocations is not None else "-"
        print(f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {cpu} | {ratio} | {cpu_ratio} | "
              f"{r.errors} | {inv} | {r.note} |")
    print_mix(results)
    print_targets(results)
    print_peers(results)


def print_mix(results: list[Result]) -> None:
    mix = [r for r in results if r.mix and r.invocations is not None]
    if not mix:
        return
    print("\nLambda authorizer result cache, mixed identities (issue 5 item 8): invocations from a cold cache\n")
    print("| result_ttl | requests | authorizer invocations | invocations per 1,000 requests | req/s | CPU µs/req |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in mix:
        assert r.invocations is not None
        cpu = f"{r.cpu_us:.1f}" if r.cpu_us is not None else "-"
        print(f"| {r.mix} | {r.requests:,} | {r.invocations:,} | {1000 * r.invocations / max(r.requests, 1):.1f} | "
              f"{r.rps:,.0f} | {cpu} |")
    by = {r.mix: r for r in mix}
    if "TTL 0" in by and "TTL 300" in by:
        rate0 = by["TTL 0"].invocations / max(by["TTL 0"].requests, 1)  # type: ignore[operator]
        rate300 = by["TTL 300"].invocations / max(by["TTL 300"].requests, 1)  # type: ignore[operator]
        print(f"\nTTL 300 vs TTL 0: {100 * (1 - rate300 / rate0):.1f} % fewer invocations per request, "
              f"{by['TTL 300'].rps / by['TTL 0'].rps:.1f}x the throughput")


def row(results: list[Result], prefix: str) -> Result | None:
    return next((r for r in results if r.name.startswith(prefix)), None)


def print_targets(results: list[Result]) -> None:
    """Issue 10 item 2 and issue 22 item 1, against the rows of this run."""
    public, nginx = row(results, "gatepost public route"), row(results, "nginx proxy")
    hap = row(results, "haproxy + jwt_verify")
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    if public and nginx and public.cpu_us and nginx.cpu_us:
        lines.append(f"public route CPU {public.cpu_us:.1f} µs = {public.cpu_us / nginx.cpu_us:.2f}x nginx "
                     f"(target ≤ 3x: {verdict(public.cpu_us <= 3 * nginx.cpu_us)})")
    jwt, fresh = row(results, "gatepost JWT RS256, repeated"), row(results, "gatepost JWT RS256, fresh")
    if jwt and hap:
        lines.append(f"JWT repeated token {jwt.rps:,.0f} req/s = {jwt.rps / hap.rps:.2f}x HAProxy+JWT "
                     f"{hap.rps:,.0f} (target ≥ 1.2x: {verdict(jwt.rps >= 1.2 * hap.rps)}); CPU "
                     f"{jwt.cpu_us or math.nan:.1f} vs {hap.cpu_us or math.nan:.1f} µs")
    if fresh and hap and fresh.cpu_us and hap.cpu_us:
        lines.append(f"JWT fresh token CPU {fresh.cpu_us:.1f} µs = {fresh.cpu_us / hap.cpu_us:.2f}x HAProxy+JWT's "
                     f"{hap.cpu_us:.1f} (target ≤ 2x: {verdict(fresh.cpu_us <= 2 * hap.cpu_us)})")
    for prefix, limit in (("gatepost SigV4", 30), ("gatepost Lambda-proxy route", 40),
                          ("gatepost API key + usage plan (memory)", 60),
                          ("gatepost Lambda TOKEN authorizer, TTL 300", 60)):
        r = row(results, prefix)
        if r and public and r.cpu_us and public.cpu_us:
            extra = r.cpu_us - public.cpu_us
            lines.append(f"{r.name[9:]}: {extra:+.1f} µs CPU over the public route (target ≤ {limit}: "
                         f"{verdict(extra <= limit)})")
    memory, redis = row(results, "gatepost API key + usage plan (memory)"), row(results, "gatepost API key + usage "
                                                                                         "plan (Redis)")
    if memory and redis and memory.cpu_us and redis.cpu_us:
        extra = redis.cpu_us - memory.cpu_us
        lines.append(f"API key + plan, Redis counters: {extra:+.1f} µs CPU over memory counters (target ≤ 25: "
                     f"{verdict(extra <= 25)})")
    if lines:
        print("\nTargets (issues 10 and 22), this run:\n")
        print("\n".join(f"- {line}" for line in lines))


def print_peers(results: list[Result]) -> None:
    pairs = peers.comparisons(results)
    if not pairs:
        return
    print("\nPeers (issue 10 item 3): Gatepost's row ÷ the peer's row, same run\n")
    print("| scenario | peer | peer req/s | Gatepost req/s | x throughput | peer CPU µs/req | Gatepost CPU µs/req |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, peer, ours in pairs:
        print(f"| {label} | {peer.name} | {peer.rps:,.0f} | {ours.rps:,.0f} | {ours.rps / peer.rps:.1f}x | "
              f"{peer.cpu_us or math.nan:.0f} | {ours.cpu_us or math.nan:.1f} |")


if __name__ == "__main__":
    raise SystemExit(main())
