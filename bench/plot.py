"""Plot a bench run: throughput and p99 latency per row (bench/results/latest.json -> bench/results/latest.png).

    .venv/bin/pip install matplotlib     # into the venv only; not a runtime dependency
    .venv/bin/python bench/plot.py [--json bench/results/latest.json] [--out bench/results/latest.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


PEERS = ("serverless-offline", "MiniStack")


def colour(name: str) -> str:
    """grey: references (upstream, nginx, HAProxy); orange: peers; blue: Gatepost."""
    if name.startswith(PEERS):
        return "#ff7f0e"
    if not name.startswith("gatepost"):
        return "#888888"
    return "#1f77b4"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    p.add_argument("--out", type=Path, default=HERE / "results" / "latest.png")
    args = p.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = json.loads(args.json.read_text())
    names = [r["name"] for r in rows]
    colours = [colour(r["name"]) for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 0.5 * len(rows) + 2), sharey=True)
    y = range(len(rows))
    left.barh(y, [r["rps"] for r in rows], color=colours)
    left.set_xlabel("requests/s (c=50, keep-alive)")
    left.set_yticks(list(y), names, fontsize=8)
    left.invert_yaxis()
    for i, r in enumerate(rows):
        cpu = f"  {r['rps']:,.0f}/s" + (f", {r['cpu_us']:.0f} µs CPU" if r.get("cpu_us") else "")
        left.text(r["rps"], i, cpu, va="center", fontsize=7)
    right.barh(y, [r["p99_ms"] for r in rows], color=colours)
    right.set_xscale("log")  # the peers' p99 is seconds, Gatepost's milliseconds
    right.set_xlabel("p99 latency, ms, log scale (at saturation: queueing, not per-request overhead)")
    fig.suptitle("Gatepost bench: grey = references (upstream, nginx, HAProxy), blue = Gatepost, "
                 "orange = peers")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
