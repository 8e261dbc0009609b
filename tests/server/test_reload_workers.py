"""Live reload of a real gateway with two worker processes: SIGHUP to the parent and `POST /admin/reload`
put every worker on the same new version (or none, for a broken config, refused with its located problems),
without dropping the request in flight or the kept-alive connection; quotas and metrics go on; the access
log names the version that served each request."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from aiohttp import web
from keyed import keyed_config, new_key
from test_admin_port import requests_total

from gatepost.admin.openapi import DOCUMENT
from gatepost.stores.url import open_catalog
from support import free_port, run_upstream, serve_process, wait_http

TOKEN = "admin-token-for-reload-tests-0123"
DEADLINE = 90.0  # seconds for something to happen on a loaded machine (polled, never slept through)
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not seen within {DEADLINE} s: {what}")


def config_text(upstream: str, redis_url: str, admin_port: int, access_log: Path, extra: str = "") -> str:
    text = keyed_config(upstream, counters=redis_url, limit=5)
    text = text.replace('      - {route: "GET /open", public: true}\n',
                        '      - {route: "GET /open", public: true}\n      - {route: "GET /slow", public: true}\n'
                        + "".join(f'      - {{route: "GET /{name}", public: true}}\n' for name in extra.split()))
    return (f"server: {{access_log: {access_log}}}\n"
            f"admin: {{enabled: true, port: {admin_port}, token_env: TEST_ADMIN_TOKEN}}\n" + text)


def versions(url: str, rounds: int = 40) -> dict[int, str]:
    """Each worker's config version, by pid, asked on new connections (the kernel spreads them)."""
    seen: dict[int, str] = {}
    for _ in range(rounds):
        with requests.Session() as fresh:
            body = fresh.get(f"{url}/_gatepost/health", timeout=10).json()
        seen[body["pid"]] = body["config"]
    return seen


def all_on(url: str, load: int) -> dict[int, str] | None:
    seen = versions(url)
    return seen if len(seen) == 2 and all(v.startswith(f"{load}.") for v in seen.values()) else None


def keep_alive_get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def validate_against(answer: requests.Response, path: str) -> None:
    spec = DOCUMENT["paths"][path]["post"]["responses"][str(answer.status_code)]
    schema = spec["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    jsonschema.validate(answer.json(), {**DOCUMENT["components"]["schemas"][name],
                                        "components": DOCUMENT["components"]})


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_sighup_and_the_admin_port_reload_every_worker_or_none(tmp_path: Path, redis_url: str) -> None:
    release = threading.Event()

    async def slow_when_asked(request: web.Request, seen: dict[str, Any]) -> web.StreamResponse:
        if request.path == "/slow":
            await asyncio.get_running_loop().run_in_executor(None, release.wait, DEADLINE)
        return web.json_response({"path": request.path})

    admin_port = free_port()
    access_log = tmp_path / "access.log"
    path = tmp_path / "gatepost.yaml"
    with run_upstream(slow_when_asked) as upstream:
        write = lambda extra="": path.write_text(  # noqa: E731
            config_text(upstream.url, redis_url, admin_port, access_log, extra))
        write()
        catalog = open_catalog("sqlite:///.gatepost/gatepost.db", tmp_path)
        _, key = new_key(catalog, "acme")
        catalog.close()
        out = tmp_path / "serve.out"
        with out.open("wb") as sink, serve_process(path, "--workers", "2", env={"TEST_ADMIN_TOKEN": TOKEN},
                                                   stdout=sink) as (proc, port):
            url, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
            wait_http(url + "/_gatepost/health", timeout=60)
            first = until(lambda: all_on(url, 1), "both workers on version 1")
            assert len(set(first.values())) == 1
            kept = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # one keep-alive connection throughout
            assert keep_alive_get(kept, "/open") == 200
            quota = [requests.get(f"{url}/keyed", headers={"x-api-key": key}, timeout=10).status_code
                     for _ in range(3)]
            assert quota == [200] * 3
            in_flight: dict[str, Any] = {}
            slow = threading.Thread(target=lambda: in_flight.update(
                answer=requests.get(f"{url}/slow", timeout=DEADLINE + 30)))
            slow.start()
            until(lambda: any(c["path"] == "/slow" for c in upstream.calls), "the slow request at the upstream")

            # SIGHUP: a new route, in both workers; the request in flight is answered by the old version
            write("added")
            os.kill(proc.pid, signal.SIGHUP)
            second = until(lambda: all_on(url, 2), "both workers on version 2")
            assert len(set(second.values())) == 1
            assert keep_alive_get(kept, "/added") == 200
            release.set()
            slow.join(timeout=DEADLINE)
            assert in_flight["answer"].status_code == 200
            quota = [requests.get(f"{url}/keyed", headers={"x-api-key": key}, timeout=10).status_code
                     for _ in range(3)]
            assert quota == [200, 200, 429]  # 5 a day: the counters went on

            # a broken config: refused once, in the parent, with its located problem; every worker keeps 2
            path.write_text(path.read_text().replace('"GET /added", public: true', '"GET /added", public: maybe'))
            os.kill(proc.pid, signal.SIGHUP)
            until(lambda: b"reload.refused reason=config" in out.read_bytes(), "the refusal in the log")
            # its problem lines are written after the refusal's: wait for them too (a loaded machine parts them)
            until(lambda: b"public: Input should be a valid boolean" in out.read_bytes(), "the problem in the log")
            assert f"{path}:".encode() in out.read_bytes()
            assert versions(url) == second
            assert keep_alive_get(kept, "/added") == 200

            # the admin port: validate (changes nothing), a refused reload, then a good one
            checked = requests.post(admin + "/admin/config/validate", headers=BEARER, timeout=60)
            assert checked.status_code == 200 and checked.json()["valid"] is False
            assert checked.json()["problems"][0]["place"].endswith(".public")
            validate_against(checked, "/admin/config/validate")
            refused = requests.post(admin + "/admin/reload", headers=BEARER, timeout=DEADLINE * 3)
            assert refused.status_code == 400 and refused.json()["reason"] == "config"
            assert refused.json()["version"] == next(iter(second.values()))
            validate_against(refused, "/admin/reload")
            assert requests.post(admin + "/admin/reload", timeout=10).status_code == 403  # no credentials
            write("added later")
            done = requests.post(admin + "/admin/reload", headers=BEARER, timeout=DEADLINE * 3)
            assert done.status_code == 200, done.text
            validate_against(done, "/admin/reload")
            assert done.json()["load"] == 3 and done.json()["reloaded"] is True
            third = versions(url)  # the answer came once every worker had swapped: no waiting here
            assert set(third.values()) == {done.json()["version"]} and len(third) == 2
            assert requests.get(admin + "/healthz", timeout=10).json()["config"] == done.json()["version"]
            assert keep_alive_get(kept, "/later") == 200
            kept.close()
            opened = 2  # one on the kept connection at version 1, one more now at version 3
            for _ in range(opened - 1):
                assert requests.get(f"{url}/open", timeout=10).status_code == 200

            # metrics went on across three versions, summed over both workers
            until(lambda: requests_total(requests.get(admin + "/metrics", headers=BEARER, timeout=10).text,
                                         "GET /open", "200") == opened, "the /open count, both workers summed")
    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    slow_line = next(line for line in lines if line["path"] == "/slow")
    assert slow_line["config"] == next(iter(first.values()))  # served by the version it started on
    by_path = {line["path"]: line["config"] for line in lines}
    assert by_path["/added"].startswith("2.") and by_path["/later"] == done.json()["version"]


def test_one_process_reloads_itself_on_sighup_and_from_the_admin_port(tmp_path: Path, upstream) -> None:
    admin_port = free_port()
    path = tmp_path / "gatepost.yaml"
    routes = lambda *names: "".join(f'      - {{route: "GET /{n}", public: true}}\n' for n in names)  # noqa: E731
    head = f"admin: {{enabled: true, port: {admin_port}, token_env: TEST_ADMIN_TOKEN}}\napis:\n  shop:\n    routes:\n"
    tail = f'    integration: {{http: "{upstream.url}"}}\n'
    path.write_text(head + routes("one") + tail)
    with serve_process(path, env={"TEST_ADMIN_TOKEN": TOKEN}, stdout=subprocess.DEVNULL) as (proc, port):
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/_gatepost/health", timeout=60)
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        assert keep_alive_get(kept, "/one") == 200
        assert requests.get(url + "/_gatepost/health", timeout=10).json()["config"].startswith("1.")
        path.write_text(head + routes("one", "two") + tail)
        os.kill(proc.pid, signal.SIGHUP)
        until(lambda: requests.get(url + "/_gatepost/health", timeout=10).json()["config"].startswith("2."),
              "version 2")
        assert keep_alive_get(kept, "/two") == 200
        listed = requests.get(f"http://127.0.0.1:{admin_port}/admin/routes", headers=BEARER, timeout=10).json()
        assert {r["route"] for r in listed["routes"]} == {"GET /one", "GET /two"}  # the admin port follows too
        path.write_text(head + routes("one", "two", "three") + tail)
        done = requests.post(f"http://127.0.0.1:{admin_port}/admin/reload", headers=BEARER, timeout=DEADLINE)
        assert done.status_code == 200 and done.json()["load"] == 3
        assert keep_alive_get(kept, "/three") == 200
        assert requests.get(url + "/_gatepost/health", timeout=10).json()["config"] == done.json()["version"]
        kept.close()
