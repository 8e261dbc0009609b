"""The same rows on two checkouts, back to back: is this change slower or faster than that commit?

    .venv/bin/python bench/ab.py --against ../base [--only "gatepost public route"] [--rounds 3] [--duration 5]

`--against` is another checkout of Gatepost with its own `.venv` (`git worktree add ../base COMMIT` then
`bash scripts/setup.sh test` there). Each round runs `bench/run.py --only ... --no-references --no-peers
--workers 1` of this checkout, then of the other one (each with its own bench/ and gateway), alternating
which goes first, and the table gives per row the median CPU µs per request of each side over the rounds
and their difference. On a shared, noisy machine only a difference measured this way (same minutes,
alternating) means something; a figure from another day does not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def one_run(tree: Path, args: argparse.Namespace, out: Path) -> dict[str, float]:
    cmd = [str(tree / ".venv/bin/python"), str(tree / "bench/run.py"), "--only", args.only, "--no-references",
           "--no-peers", "--workers", "1", "--duration", str(args.duration), "--json", str(out)]
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}  # that tree's source, whatever its venv points at
    subprocess.run(cmd, cwd=tree, env=env, check=True, capture_output=True, text=True, timeout=600)
    rows = json.loads(out.read_text())
    return {r["name"]: r["cpu_us"] for r in rows if r.get("cpu_us") is not None}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", type=Path, required=True, help="the other checkout (with its own .venv)")
    p.add_argument("--only", default="gatepost public route", help="bench/run.py --only (default: the public rows)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5)
    args = p.parse_args()
    trees = {"this": REPO, "other": args.against.resolve()}
    if not (trees["other"] / ".venv/bin/python").exists():
        print(f"{trees['other']} has no .venv (run scripts/setup.sh test there)", file=sys.stderr)
        return 1
    seen: dict[str, dict[str, list[float]]] = {"this": {}, "other": {}}
    with tempfile.TemporaryDirectory(prefix="gatepost-ab-") as t:
        for n in range(args.rounds):
            order = ["this", "other"] if n % 2 == 0 else ["other", "this"]
            for side in order:
                for name, cpu in one_run(trees[side], args, Path(t) / f"{side}-{n}.json").items():
                    seen[side].setdefault(name, []).append(cpu)
            print(f"round {n + 1}/{args.rounds}: " + "; ".join(
                f"{side} {name[9:] if name.startswith('gatepost ') else name} {seen[side][name][-1]:.1f}"
                for side in ("this", "other") for name in seen[side]), flush=True)
    print(f"\nCPU µs per request, median of {args.rounds} alternating rounds "
          f"(this = {trees['this']}, other = {trees['other']})\n")
    print("| row | this | other | this - other |")
    print("|---|---:|---:|---:|")
    for name in seen["this"]:
        if name in seen["other"]:
            a, b = statistics.median(seen["this"][name]), statistics.median(seen["other"][name])
            print(f"| {name} | {a:.1f} | {b:.1f} | {a - b:+.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
