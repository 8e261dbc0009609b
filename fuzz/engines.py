"""The two ways to drive a target: atheris in a child process (libFuzzer's own loop; it exits the process
at the end), or hypothesis in this one, generating bytes until the time is up."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from fuzz.targets import load

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENGINES = ("atheris", "hypothesis")
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_STATUS = re.compile(r"^#(\d+)\s", re.MULTILINE)


@dataclass
class Outcome:
    target: str
    engine: str
    seconds: float
    executions: int
    crashes: int


def default_engine() -> str:
    return "atheris" if importlib.util.find_spec("atheris") is not None else "hypothesis"


def run(name: str, seconds: float, engine: str) -> Outcome:
    (HERE / "crashes").mkdir(exist_ok=True)
    return _atheris(name, seconds) if engine == "atheris" else _hypothesis(name, seconds)


def _atheris(name: str, seconds: float) -> Outcome:
    corpus = HERE / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    seeds = HERE / "seeds" / name  # kept inputs (earlier findings): read, never written
    dirs = [str(corpus)] + ([str(seeds)] if seeds.is_dir() else [])
    cmd = [sys.executable, "-m", "fuzz.atheris_main", name, *dirs, f"-max_total_time={max(1, int(seconds))}",
           f"-artifact_prefix={HERE / 'crashes'}/{name}-", "-max_len=4096", "-timeout=10", "-rss_limit_mb=2048",
           "-print_final_stats=1"]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, errors="replace")
    took = time.monotonic() - started
    log = proc.stdout + proc.stderr
    (HERE / "crashes" / f"{name}-last.log").write_text(log[-200_000:])
    done = _DONE.search(log)
    runs = int(done.group(1)) if done else max((int(n) for n in _STATUS.findall(log)), default=0)
    crashed = proc.returncode != 0
    if crashed:
        print(log[-4000:], file=sys.stderr)
    return Outcome(name, "atheris", took, runs, int(crashed))


def _hypothesis(name: str, seconds: float) -> Outcome:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    target = load(name)
    count = 0

    @settings(max_examples=500, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.binary(max_size=4096))
    def one(data: bytes) -> None:
        nonlocal count
        count += 1
        target.one_input(data)

    started = time.monotonic()
    crashes = 0
    while time.monotonic() - started < seconds:
        try:
            one()
        except Exception:
            crashes += 1
            text = traceback.format_exc()
            (HERE / "crashes" / f"{name}-hypothesis.txt").write_text(text)
            print(text, file=sys.stderr)
            break
    return Outcome(name, "hypothesis", time.monotonic() - started, count, crashes)
