"""Where the time goes: py-spy samples the gateway while wrk drives one scenario, on the bench's layout
(gateway on core 0; wrk and the nginx upstream on core 1).

    .venv/bin/pip install py-spy        # into the venv only; not a runtime dependency
    .venv/bin/python bench/profile.py [--only public] [--duration 10]

Writes, per scenario, `bench/profiles/<scenario>-native.svg` (a flame graph),
`.collapsed` (py-spy's raw stacks) and `.txt` (the top functions by own and by total time).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import references  # noqa: E402
import run as bench  # noqa: E402
from context import Context  # noqa: E402
from scenarios import SCENARIOS  # noqa: E402

PY_SPY = bench.REPO / ".venv/bin/py-spy"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("gatepost ", "")).strip("-")


def summarize(collapsed: Path, top: int = 30) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = [re.sub(r" \(.*?site-packages/", " (", f) for f in stack.split(";")]
        samples += n
        own[frames[-1]] += n
        for f in set(frames):
            total[f] += n
    lines = [f"{samples} samples", "", "own time:"]
    lines += [f"{100 * n / samples:6.1f}%  {f}" for f, n in own.most_common(top)]
    lines += ["", "total time (function and what it calls):"]
    lines += [f"{100 * n / samples:6.1f}%  {f}" for f, n in total.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="public", help="scenario names (substring, comma-separated)")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    p.add_argument("--native", action="store_true",
                   help="with C frames (uvloop, llhttp, the kernel calls' callers): files named *-native-c.*")
    args = p.parse_args()
    if not PY_SPY.exists() or not shutil.which("wrk"):
        print("needs .venv/bin/py-spy (pip install py-spy) and wrk", file=sys.stderr)
        return 1
    wanted = [w.strip() for w in args.only.split(",")]
    out_dir = HERE / "profiles"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gatepost-profile-") as t:
        ctx = Context(Path(t))
        up, up_port, _ = references.upstream(ctx.tmp)
        try:
            scenarios = [s for s in (f(ctx) for f in SCENARIOS) if any(w in s.name for w in wanted)]
            for sc, port, pid in bench.each_served(ctx, up_port, scenarios):
                name = f"{slug(sc.name)}-native" + ("-c" if args.native else "")
                profile(sc, pid, port, args, ctx.tmp, out_dir / name)
        finally:
            bench.stop(up)
            ctx.close()
    return 0


def profile(sc: bench.Scenario, pid: int, port: int, args: argparse.Namespace, tmp: Path, base: Path) -> None:
    url = f"http://127.0.0.1:{port}{sc.path}"
    load = argparse.Namespace(**{**vars(args), "duration": args.duration + 2})
    spy_args = [str(PY_SPY), "record", "--pid", str(pid), "--rate", str(args.rate), "--duration", str(args.duration),
                *(["--native"] if args.native else ["--nonblocking"])]
    bench.load(url, sc, argparse.Namespace(**{**vars(args), "duration": 1}), tmp)  # warm-up
    collapsed = base.with_suffix(".collapsed")
    spies = [subprocess.Popen([*spy_args, "--format", fmt, "-o", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE if not args.native else None)
             for fmt, out in (("raw", collapsed), ("flamegraph", base.with_suffix(".svg")))]
    rps = bench.load(url, sc, load, tmp)[0]
    for spy in spies:
        spy.wait(timeout=args.duration + 30)
    if not collapsed.exists():  # py-spy --native's raw recorder beside the flame graph's fails on some rows
        print(f"{sc.name}: py-spy wrote no raw stacks; the flame graph {base.with_suffix('.svg').name} stands alone")
        return
    summary = summarize(collapsed)
    base.with_suffix(".txt").write_text(f"{sc.name}, native server, {rps:,.0f} req/s under py-spy\n{summary}")
    print(base.with_suffix(".txt").read_text()[:3000])


if __name__ == "__main__":
    raise SystemExit(main())
