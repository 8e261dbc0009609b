"""A bounded soak across two gateway instances (two workers each) on one Redis and one Postgres, loopback only.

A mix of valid, invalid and throttled API-key requests for `--duration` seconds; every `--sample` seconds
the resident memory of the gateway processes. It checks, and prints as one table (bench/README.md):
only the intended statuses (200, 403 for unknown/disabled keys, 429 for throttle and quota), memory flat
(last sample within 15 % of the first after warm-up), counters exact (the quota key admitted exactly its
limit over both instances; the throttled key at most burst + rate x seconds; the usage report equal to
the enforced count).

    .venv/bin/python bench/soak.py --duration 180

Needs redis-server and Debian's postgresql (scripts/setup.sh test installs both). Not part of CI.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "usage"))

from keyed import keyed_config, new_key  # noqa: E402

from gatepost.stores.postgres import PostgresCatalog  # noqa: E402
from gatepost.usage.keys import KeyStore  # noqa: E402
from gatepost.usage.limiter import day_of  # noqa: E402
from gatepost.usage.recorder import usage_of_key  # noqa: E402
from postgres_server import run_postgres  # noqa: E402
from support import run_redis, run_upstream, serve_process, wait_http  # noqa: E402

QUOTA = 2000  # the quota key's daily limit (the plan's); the soak sends it far more
RATE, BURST = 5.0, 5  # the throttled key's own limits (an attachment override)


def rss_kib(pgid: int) -> int:
    """Resident memory of every process in the process group (the supervisor and its workers)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=180.0, help="seconds of load (default 180)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    ap.add_argument("--sample", type=float, default=15.0, help="seconds between memory samples (default 15)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gatepost-soak-"))
    try:
        return soak(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def soak(args: argparse.Namespace, work: Path) -> int:
    with run_postgres() as pg, run_redis(work) as redis, run_upstream() as upstream:
        url = pg.create_database()
        catalog = PostgresCatalog(url, listen=False)
        quota_id, quota_value = new_key(catalog, "quota")
        _, valid_value = new_key(catalog, "valid", quota_limit=10**9)  # never reaches its quota
        throttled_id, throttled_value = new_key(catalog, "throttled", plan=None)
        KeyStore(catalog).attach("gold", throttled_id, stages={"gold": {("shop", "prod")}},
                                 throttle={"rate": RATE, "burst": BURST})
        _, disabled_value = new_key(catalog, "disabled")
        KeyStore(catalog).set_enabled("disabled", False)
        config = work / "gatepost.yaml"
        config.write_text(keyed_config(upstream.url, counters=redis.url, limit=QUOTA, rate=1000, burst=1000)
                          .replace("state: {", f"state: {{catalog: '{url}', ")
                          + "server: {access_log: \"off\"}\n")
        mix = [("quota", quota_value, {200, 429}), ("valid", valid_value, {200}),
               ("throttled", throttled_value, {200, 429}), ("disabled", disabled_value, {403}),
               ("unknown", "Z" * 40, {403}), ("missing", None, {403})]
        with serve_process(config, "--workers", "2", stdout=subprocess.DEVNULL) as (a, port_a), \
                serve_process(config, "--workers", "2", stdout=subprocess.DEVNULL) as (b, port_b):
            urls = [f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"]
            for u in urls:
                wait_http(u + "/_gatepost/ready", timeout=60)
            counts: dict[tuple[str, int], int] = collections.Counter()
            lock = threading.Lock()
            stop = time.monotonic() + args.duration
            started = time.monotonic()

            def client(seed: int) -> None:
                rnd = random.Random(seed)
                session = requests.Session()
                local: collections.Counter[tuple[str, int]] = collections.Counter()
                while time.monotonic() < stop:
                    name, value, _ = mix[rnd.randrange(len(mix))]
                    headers = {"x-api-key": value} if value else {}
                    r = session.get(urls[rnd.randrange(2)] + "/keyed", headers=headers, timeout=10)
                    local[(name, r.status_code)] += 1
                with lock:
                    counts.update(local)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            samples = []
            time.sleep(min(10.0, args.duration / 4))  # warm-up: imports, pools, first snapshots
            while time.monotonic() < stop:
                samples.append(rss_kib(a.pid) + rss_kib(b.pid))
                time.sleep(min(args.sample, max(0.0, stop - time.monotonic())))
            for t in threads:
                t.join()
            seconds = time.monotonic() - started
            time.sleep(3)  # the usage copy to the catalog (about once a second)
            reported = usage_of_key(catalog, quota_id, [day_of(time.time())]).get((day_of(time.time()), "gold"), 0)
        catalog.close()
    return report(counts, mix, samples, seconds, reported)


def report(counts: dict[tuple[str, int], int], mix: list, samples: list[int], seconds: float,  # type: ignore[type-arg]
           reported: int) -> int:
    total = sum(counts.values())
    print(f"\n| soak: 2 instances x 2 workers, Redis + Postgres | {seconds:.0f} s | {total} requests "
          f"| {total / seconds:.0f} req/s |\n|---|---|---|---|")
    ok = True
    for name, _, allowed in mix:
        by_status = {s: n for (k, s), n in sorted(counts.items()) if k == name}
        unexpected = set(by_status) - allowed
        ok &= not unexpected
        print(f"| {name} | {by_status} | intended {sorted(allowed)} | {'ok' if not unexpected else 'UNEXPECTED'} |")
    admitted_quota = counts.get(("quota", 200), 0)
    exact = admitted_quota == QUOTA if counts.get(("quota", 429), 0) else admitted_quota <= QUOTA
    ok &= exact and reported == admitted_quota
    print(f"| quota key | admitted {admitted_quota} of limit {QUOTA} | report {reported} "
          f"| {'exact' if exact and reported == admitted_quota else 'NOT EXACT'} |")
    bound = BURST + RATE * seconds
    throttled_ok = counts.get(("throttled", 200), 0) <= bound
    ok &= throttled_ok
    print(f"| throttled key | admitted {counts.get(('throttled', 200), 0)} | bound {bound:.0f} (burst + rate x s) "
          f"| {'ok' if throttled_ok else 'OVER'} |")
    growth = (samples[-1] - samples[0]) / samples[0] if len(samples) > 1 else 0.0
    flat = growth < 0.15
    ok &= flat
    print(f"| memory (RSS, 6 processes) | first {samples[0] // 1024 if samples else 0} MiB, last "
          f"{samples[-1] // 1024 if samples else 0} MiB | {growth:+.1%} over {len(samples)} samples "
          f"| {'flat' if flat else 'GROWING'} |")
    print(f"\nresult: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
