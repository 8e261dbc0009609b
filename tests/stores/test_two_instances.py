"""Two gateway instances x two workers (`gatepost serve --workers 2`, four processes) on one real Redis and
one real Postgres: exact quotas across all four, API key changes reaching every worker of both, and an
instance killed with SIGKILL losing nothing the docs promise (docs/operations.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from keyed import keyed_config, new_key

from gatepost.stores.postgres import PostgresCatalog
from gatepost.usage.keys import KeyStore
from gatepost.usage.limiter import day_of
from gatepost.usage.recorder import usage_of_key
from support import run_redis, serve_process, wait_http

LIMIT = 40


@contextmanager
def instance(config: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with serve_process(config, "--workers", "2", stdout=subprocess.DEVNULL) as (proc, port):
        yield proc, f"http://127.0.0.1:{port}"


def ready(url: str) -> None:
    deadline = time.monotonic() + 60
    wait_http(url + "/_gatepost/ready", timeout=60)
    while requests.get(url + "/_gatepost/ready", timeout=5).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def status(url: str, value: str) -> int:
    return requests.get(url + "/keyed", headers={"x-api-key": value}, timeout=10).status_code


def propagated(urls: list[str], value: str, want: int, seconds: float = 15.0) -> float:
    """Seconds until 8 requests in a row to each instance (both workers, by the kernel's balancing) get `want`."""
    started = time.monotonic()
    for url in urls:
        in_a_row = 0
        while in_a_row < 8:
            in_a_row = in_a_row + 1 if status(url, value) == want else 0
            assert time.monotonic() - started < seconds, f"{url} still not {want}"
    return time.monotonic() - started


@pytest.mark.timeout(300)
def test_two_instances_two_workers_each(tmp_path: Path, postgres_url: str, upstream) -> None:
    catalog = PostgresCatalog(postgres_url, listen=False)
    store = KeyStore(catalog)
    quota_key, quota_value = new_key(catalog, "quota")
    _, disabled_value = new_key(catalog, "to-disable")
    _, rotated_value = new_key(catalog, "to-rotate")
    detached_id, detached_value = new_key(catalog, "to-detach")
    with run_redis(tmp_path) as redis:
        config = tmp_path / "gatepost.yaml"
        config.write_text(keyed_config(upstream.url, counters=redis.url, limit=LIMIT)
                          .replace("state: {", f"state: {{catalog: '{postgres_url}', "))
        with instance(config) as (a, url_a), instance(config) as (_, url_b):
            ready(url_a)
            ready(url_b)
            # exact quota across four processes: 60 concurrent requests, 40 admitted
            urls = [url_a, url_b] * 30
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda u: status(u, quota_value), urls))
            assert codes.count(200) == LIMIT and codes.count(429) == len(urls) - LIMIT
            # changes written by another process reach every worker of both instances
            for url in (url_a, url_b):
                assert status(url, disabled_value) == status(url, rotated_value) == status(url, detached_value) == 200
            store.set_enabled("to-disable", False)
            took = {"disabled": propagated([url_a, url_b], disabled_value, 403)}
            _, new_value = store.rotate("to-rotate", grace=0)
            took["rotated"] = propagated([url_a, url_b], rotated_value, 403)
            assert status(url_a, new_value) == status(url_b, new_value) == 200
            store.detach("gold", detached_id)
            took["detached"] = propagated([url_a, url_b], detached_value, 403)
            print("propagation seconds (to 16 requests in a row):", took)
            # an instance killed outright: the other serves, the quota stays used, the report stays exact
            os.killpg(a.pid, signal.SIGKILL)
            a.wait(timeout=30)
            assert status(url_b, quota_value) == 429
            today = day_of(time.time())
            deadline = time.monotonic() + 20
            while usage_of_key(catalog, quota_key, [today]).get((today, "gold")) != LIMIT:
                assert time.monotonic() < deadline, usage_of_key(catalog, quota_key, [today])
                time.sleep(0.1)
    catalog.close()
