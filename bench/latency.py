"""Latency at half of saturation, per route kind (issue 22 item 2): what a request costs in time when the
gateway is not the bottleneck, for sizing a deployment (bench/run.py's p99 at c=50 is queueing at
saturation).

    .venv/bin/python bench/latency.py [--only "public route,SigV4"] [--duration 10] [--load 0.5]

Per row, on the bench's layout (one gateway process on core 0; wrk, the upstream and the helpers on core 1):
1. saturation: wrk -c50 for 3 s, its req/s is S;
2. a paced run at `--load` x S (default 0.5): wrk with a Lua `delay()` of 5 ms between a connection's
   answer and its next request, and as many connections as that rate needs (calibrated by up to two 2 s runs);
3. the measured run (`--duration` s): p50, p90 and p99 latency, and the rate reached.

No wrk2 on Debian 12, so the pacing is wrk's own: each connection waits 5 ms after each answer. That is a
closed loop (a slow answer delays that connection's next request, which hides some queueing: "coordinated
omission"); at half of saturation answers take well under a millisecond, so the rate stays within a few per
cent of the target (printed) and the effect is small, but these are not open-loop figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import references  # noqa: E402
import run as bench  # noqa: E402
from context import Context  # noqa: E402
from scenarios import SCENARIOS, Scenario  # noqa: E402

DELAY_MS = 5
DEFAULT_ROWS = ("gatepost public route", "gatepost mock route (no upstream)", "gatepost JWT RS256, repeated token",
                "gatepost JWT RS256, fresh token per request", "gatepost SigV4 (IAM)",
                "gatepost API key + usage plan (memory)", "gatepost Lambda TOKEN authorizer, TTL 300",
                "gatepost Lambda-proxy route (Python handler)")


def paced(sc: Scenario) -> Scenario:
    """The scenario with a wrk `delay()` of DELAY_MS after each answer (its own Lua kept)."""
    lua = sc.lua or (f'wrk.method = "{sc.method}"\n' if sc.method != "GET" else "")
    return replace(sc, lua=lua + f"\ndelay = function()\n  return {DELAY_MS}\nend\n")


def run_row(sc: Scenario, base: str, args: argparse.Namespace, ctx: Context) -> str:
    url = base + sc.path

    def ns(duration: int, connections: int) -> argparse.Namespace:
        return argparse.Namespace(**{**vars(args), "duration": duration, "connections": connections})

    bench.load(url, sc, ns(1, 50), ctx.tmp)  # warm-up
    saturation = bench.load(url, sc, ns(3, 50), ctx.tmp)[0]
    target = saturation * args.load
    slow = paced(sc)
    conns = max(1, round(target * (DELAY_MS + 0.5) / 1000))
    for _ in range(2):  # calibration: the connections that reach the target (their answers take time too)
        reached = bench.load(url, slow, ns(2, conns), ctx.tmp)[0]
        if abs(reached - target) <= 0.05 * target:
            break
        conns = max(1, min(1000, round(conns * target / max(reached, 1.0))))
    rps, p50, p99, errors, _ = bench.load(url, slow, ns(args.duration, conns), ctx.tmp)
    p90 = _p90(bench.last_output)
    return (f"| {sc.name[9:]} | {saturation:,.0f} | {target:,.0f} | {rps:,.0f} ({100 * rps / target:.0f} %) | "
            f"{conns} | {p50:.2f} | {p90} | {p99:.2f} | {errors} |")


def _p90(out: str) -> str:
    import re

    m = re.search(r"^\s+90%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not m:
        return "-"
    v, unit = float(m.group(1)), m.group(2)
    return f"{v / 1000 if unit == 'us' else v * 1000 if unit == 's' else v:.2f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="scenario names (substring, comma-separated); default: one row per route kind")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--load", type=float, default=0.5, help="the share of saturation to drive (default 0.5)")
    args = p.parse_args()
    args.warmup = 1
    with tempfile.TemporaryDirectory(prefix="gatepost-latency-") as t:
        ctx = Context(Path(t))
        up, up_port, _ = references.upstream(ctx.tmp)
        try:
            scenarios = [f(ctx) for f in SCENARIOS]
            if args.only:
                wanted = [w.strip() for w in args.only.split(",")]
                scenarios = [s for s in scenarios if any(w in s.name for w in wanted)]
            else:
                scenarios = [s for s in scenarios if s.name in DEFAULT_ROWS]
            rows = []
            for sc, port, _ in bench.each_served(ctx, up_port, scenarios):
                rows.append(run_row(sc, f"http://127.0.0.1:{port}", args, ctx))
                print(rows[-1], flush=True)
        finally:
            bench.stop(up)
            ctx.close()
    print(f"\nLatency at {args.load:.0%} of saturation (one worker on core 0; wrk paced with a {DELAY_MS} ms delay "
          f"per connection between answer and next request; {args.duration} s measured)\n")
    print("| route | saturation req/s (c=50) | target req/s | reached req/s | connections | p50 ms | p90 ms | "
          "p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
