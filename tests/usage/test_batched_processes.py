"""Coalesced admissions across processes: two OS processes (uvloop, as `gatepost serve` runs), each firing
hundreds of concurrent admissions on one key at the same moment against one real redis-server, admit
exactly the quota and exactly the burst between them, and every admitted request gets its own place in
the count (used = 1..limit, each exactly once across both processes), although each process sent only a
few script calls."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import redis as redis_sync

PER_PROCESS = 300
LIMIT = 250
BURST = 120

SCRIPT = textwrap.dedent(f"""
    import asyncio, json, sys, time
    import redis, uvloop
    from gatepost.stores.counters import Bucket, Quota, Record
    from gatepost.stores.counters_redis import RedisCounters

    URL = sys.argv[1]
    T = 1_767_225_600.0 + 60
    QUOTA = Quota("q:{{k:k1}}:gold:D:1767225600", {LIMIT}, 1_767_225_600.0 + 86_400)
    ROOMY = (Bucket("tb:{{k:k1}}:gold", 1000.0, 100_000),)
    TIGHT = (Bucket("tb:{{k:k2}}:gold", 0.001, {BURST}),)
    RECORD = Record("2026-01-01", "k1|gold")

    async def main():
        counters = RedisCounters(URL)
        await counters.admit((), None, T)  # connected, script loaded
        sync = redis.Redis.from_url(URL)
        sync.incr("test:ready")
        deadline = time.monotonic() + 30
        while int(sync.get("test:ready")) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        before = counters.batches.batches
        quota = await asyncio.gather(*(counters.admit(ROOMY, QUOTA, T, RECORD) for _ in range({PER_PROCESS})))
        burst = await asyncio.gather(*(counters.admit(TIGHT, None, T) for _ in range({PER_PROCESS})))
        batches = counters.batches.batches - before
        await counters.close()
        print(json.dumps({{"used": [v.used for v in quota if v.admitted],
                          "refused": [v.outcome.name for v in quota if not v.admitted],
                          "burst": sum(v.admitted for v in burst), "batches": batches}}))

    uvloop.run(main())
""")


def test_two_processes_admit_exactly_the_quota_and_the_burst_between_them(redis_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, redis_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    used = sorted(u for o in outs for u in o["used"])
    assert used == list(range(1, LIMIT + 1))  # exactly the quota, each place in the count once
    assert all(r == "QUOTA_EXCEEDED" for o in outs for r in o["refused"])
    assert sum(o["burst"] for o in outs) == BURST  # exactly the burst
    assert all(o["batches"] <= 10 for o in outs), outs  # 600 admissions a process, a few script calls
    client = redis_sync.Redis.from_url(redis_url)
    try:
        assert int(client.get("gatepost:usage:q:{k:k1}:gold:D:1767225600") or 0) == LIMIT
        assert int(client.hget("gatepost:usage:day:2026-01-01", "k1|gold") or 0) == LIMIT  # the usage record
    finally:
        client.close()
