"""`python -m fuzz list | run TARGET [--minutes N] [--engine atheris|hypothesis] | all [--minutes N]`.

atheris (coverage-guided libFuzzer) is used when it is installed (`pip install -e ".[fuzz]"`), else hypothesis
generating inputs for the same targets. A finding stops the target: its input is saved under
fuzz/crashes/ and printed; `run` exits 1. Each run ends with one line: target, engine, seconds, executions,
crashes (docs/security.md, "Fuzzing", keeps a table of them)."""

from __future__ import annotations

import argparse
import sys

from fuzz.engines import ENGINES, Outcome, default_engine, run
from fuzz.targets import TARGETS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    sub.add_parser("list", help="the targets and what each covers")
    for verb in ("run", "all"):
        sp = sub.add_parser(verb, help="fuzz one target" if verb == "run" else "fuzz every target in turn")
        if verb == "run":
            sp.add_argument("target", choices=sorted(TARGETS))
        sp.add_argument("--minutes", type=float, default=1.0, help="how long per target (default 1)")
        sp.add_argument("--engine", choices=ENGINES, default=default_engine())
    args = p.parse_args(argv)
    if args.verb == "list":
        for name, what in TARGETS.items():
            print(f"{name:8} {what}")
        return 0
    names = [args.target] if args.verb == "run" else list(TARGETS)
    outcomes = [run(name, args.minutes * 60, args.engine) for name in names]
    print_table(outcomes)
    return 1 if any(o.crashes for o in outcomes) else 0


def print_table(outcomes: list[Outcome]) -> None:
    print("\n| target | engine | duration | executions | crashes |\n|---|---|---:|---:|---:|")
    for o in outcomes:
        print(f"| {o.target} | {o.engine} | {o.seconds / 60:.1f} min | {o.executions:,} | {o.crashes} |")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
