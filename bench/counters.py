"""In-process CPU per admission of the Counters backends, without HTTP: `concurrency` callers admitting on
one key (a plan's bucket + daily quota + usage record, as an API-key request) for `requests` admissions.

    .venv/bin/python bench/counters.py [--requests 20000] [--concurrency 50] [--rounds 3] [--profile redis]

Rows: memory; Redis with one script call per request (`max_batch=1`, how the Redis counters worked before
they coalesced); Redis coalesced (the default). Redis is started on a free loopback port and stopped at
the end. CPU is this process's (time.process_time: the gateway's share; Redis's own CPU is not in it);
the median of the rounds is printed, with the mean batch size. Run it pinned (`taskset -c 0`) for steadier
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import cProfile  # noqa: E402  (before bench/ is on the path: bench/profile.py would shadow the stdlib's)
import pstats  # noqa: E402

sys.path.insert(0, str(HERE))
from procs import free_port  # noqa: E402

from gatepost.stores.counters import Bucket, Counters, Quota, Record  # noqa: E402
from gatepost.stores.counters_memory import MemoryCounters  # noqa: E402
from gatepost.stores.counters_redis import RedisCounters  # noqa: E402

T0 = 1_767_225_600.0
BUCKETS = (Bucket("tb:{k:bench}:gold", 1e6, 1_000_000),)
QUOTA = Quota("q:{k:bench}:gold:D:1767225600", 1_000_000_000, T0 + 86_400)
RECORD = Record("2026-01-01", "bench|gold")


async def drive(counters: Counters, total: int, concurrency: int) -> float:
    """CPU µs per admission."""
    left = total

    async def caller() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            v = await counters.admit(BUCKETS, QUOTA, T0 + 1, RECORD)
            assert v.admitted, v

    start = time.process_time()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return (time.process_time() - start) / total * 1e6


async def row(name: str, make: object, args: argparse.Namespace) -> None:
    figures, sizes = [], []
    for _ in range(args.rounds):
        counters = make()  # type: ignore[operator]
        await drive(counters, 500, args.concurrency)  # warm-up: connection, script load
        before = getattr(getattr(counters, "batches", None), "batches", 0)
        profiler = cProfile.Profile() if args.profile and args.profile in name else None
        if profiler:
            profiler.enable()
        figures.append(await drive(counters, args.requests, args.concurrency))
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        batches = getattr(getattr(counters, "batches", None), "batches", 0) - before
        sizes.append(args.requests / batches if batches else 1.0)
        await counters.close()
    print(f"| {name} | {statistics.median(figures):.1f} | {statistics.mean(sizes):.1f} |", flush=True)


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
                                  stdout=subprocess.DEVNULL)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)

            def one_per_request() -> RedisCounters:
                c = RedisCounters(url)
                c.batches.max_batch = 1
                return c

            print(f"{args.requests} admissions, {args.concurrency} concurrent callers, one key\n")
            print("| counters | CPU µs/admission | admissions per script call |\n|---|---:|---:|")
            await row("memory", MemoryCounters, args)
            await row("redis, one script call per request", one_per_request, args)
            await row("redis, coalesced", lambda: RedisCounters(url), args)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=20_000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--profile", default="", help="cProfile the rows whose name contains this")
    p.add_argument("--uvloop", action="store_true", help="on uvloop, as the gateway runs")
    args = p.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(main(args))
    else:
        asyncio.run(main(args))
