"""The admin port: bearer and SigV4 access, Prometheus metrics summed across two real worker processes,
explain's rows, and every answer matching the admin API's own OpenAPI document."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import jsonschema
import pytest
import requests
from admin_kit import ACCOUNT, MASTER, TOKEN, admin_of
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.parser import text_string_to_metric_families

from gatepost.admin.openapi import DOCUMENT
from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import USERS
from gatepost.stores.memory import MemoryCatalog
from support import free_port, serve_process, wait_http


def config(upstream: str, admin_port: int) -> str:
    return f"""
admin: {{enabled: true, port: {admin_port}, token_env: TEST_ADMIN_TOKEN}}
apis:
  shop:
    authorizers: {{sig: {{type: iam}}}}
    routes:
      - {{route: "GET /items/{{id}}", public: true}}
      - {{route: "GET /private", authorizer: sig}}
    integration: {{http: "{upstream}"}}
"""


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def requests_total(text: str, route: str, status: str) -> float:
    return sum(v for (name, labels), v in samples(text).items()
               if name == "gatepost_requests_total" and ("route", route) in labels and ("status", status) in labels)


def signed(key: IssuedKey, url: str, service: str = "gatepost") -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_bearer_and_sigv4_access(upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = MemoryCatalog()
    iam = IamAdmin(catalog, SecretBox(MASTER))
    for user, actions in (("ops", ["gatepost:GetMetrics", "gatepost:GetRoutes"]), ("viewer", ["gatepost:GetRoutes"])):
        iam.create_user(user, ACCOUNT)
        iam.attach_policy(USERS, user, ACCOUNT, "admin", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": "arn:aws:gatepost:us-east-1:123456789012:admin"}]})
    ops, viewer = iam.create_access_key("ops", ACCOUNT), iam.create_access_key("viewer", ACCOUNT)
    with admin_of(config(upstream.url, 0), catalog, monkeypatch) as (_, admin):
        assert requests.get(admin + "/healthz", timeout=5).status_code == 200
        missing = requests.get(admin + "/metrics", timeout=5)
        assert missing.status_code == 403 and missing.json() == {"message": "Missing Authentication Token"}
        wrong = requests.get(admin + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 401
        assert requests.get(admin + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=5).status_code == 200
        assert requests.get(admin + "/metrics", headers=signed(ops, admin + "/metrics"), timeout=5).status_code == 200
        denied = requests.get(admin + "/metrics", headers=signed(viewer, admin + "/metrics"), timeout=5)
        assert denied.status_code == 403 and "gatepost:GetMetrics" in denied.json()["message"]
        routes = requests.get(admin + "/admin/routes", headers=signed(viewer, admin + "/admin/routes"), timeout=5)
        assert routes.status_code == 200
        assert {r["route"] for r in routes.json()["routes"]} == {"GET /items/{id}", "GET /private"}
        other_service = requests.get(admin + "/metrics", headers=signed(ops, admin + "/metrics", "execute-api"),
                                     timeout=5)
        assert other_service.status_code == 403


def test_metrics_count_requests_by_route_status_and_reason_with_bounded_labels(
        upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    with admin_of(config(upstream.url, 0), MemoryCatalog(), monkeypatch) as (gw, admin):
        for i in range(5):
            assert requests.get(f"{gw}/items/{i}-secret-looking-{i}", timeout=5).status_code == 200
        assert requests.get(f"{gw}/private", timeout=5).status_code == 403
        assert requests.get(f"{gw}/nowhere", timeout=5).status_code == 403
        text = requests.get(admin + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    assert requests_total(text, "GET /items/{id}", "200") == 5
    assert requests_total(text, "GET /private", "403") == 1
    assert requests_total(text, "-", "403") == 1
    assert "secret-looking" not in text and "/nowhere" not in text  # no raw path in any label
    found = samples(text)
    count = [v for (n, labels), v in found.items() if n == "gatepost_request_duration_seconds_count"
             and ("route", "GET /items/{id}") in labels]
    assert count == [5]


def test_the_openapi_document_describes_every_answer(upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with admin_of(config(upstream.url, 0), MemoryCatalog(), monkeypatch) as (_, admin):
        served = requests.get(admin + "/admin/openapi.json", headers=bearer, timeout=5).json()
        assert served == DOCUMENT
        for path, item in DOCUMENT["paths"].items():
            if "get" not in item or "{" in path:  # the operations: test_admin_api_schema.py
                continue
            for headers in (bearer, {}, {"Authorization": "Bearer wrong"}):
                answer = requests.get(admin + path, headers=headers, timeout=5)
                assert answer.status_code < 500
                spec = item["get"]["responses"].get(str(answer.status_code))
                assert spec is not None, (path, answer.status_code)
                content = spec["content"]
                if "application/json" in content:
                    schema = content["application/json"]["schema"]
                    if "$ref" in schema:
                        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
                    jsonschema.validate(answer.json(), schema)


def test_two_workers_are_summed(tmp_path: Path, upstream) -> None:
    admin_port = free_port()
    path = tmp_path / "gatepost.yaml"
    path.write_text(config(upstream.url, admin_port))  # serve_process gives the gateway its own free --port
    with serve_process(path, "--workers", "2", env={"TEST_ADMIN_TOKEN": TOKEN},
                       stdout=subprocess.DEVNULL) as (_, port):
        gw = f"http://127.0.0.1:{port}"
        wait_http(gw + "/_gatepost/health", timeout=60)
        wait_http(f"http://127.0.0.1:{admin_port}/healthz", timeout=60)
        # Both workers listen from their start, the first answering does not mean the second has started: a
        # connection the kernel gives it waits in its backlog until it has (seconds on a loaded machine).
        serving: set[int] = set()
        deadline = time.monotonic() + 60
        while len(serving) < 2:
            assert time.monotonic() < deadline, f"workers serving: {serving}"
            serving.add(requests.get(f"{gw}/_gatepost/health", timeout=60).json()["pid"])
        pids = set()
        for i in range(60):
            with requests.Session() as fresh:  # new connections: the kernel spreads them over both workers
                fresh.get(f"{gw}/items/{i}", timeout=10)
                pids.add(fresh.get(f"{gw}/_gatepost/health", timeout=10).json()["pid"])
        assert pids == serving
        deadline = time.monotonic() + 20
        while True:
            text = requests.get(f"http://127.0.0.1:{admin_port}/metrics",
                                headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
            if requests_total(text, "GET /items/{id}", "200") == 60 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert requests_total(text, "GET /items/{id}", "200") == 60
        assert ("gatepost_workers", ()) in samples(text) and samples(text)[("gatepost_workers", ())] == 2


def test_workers_share_files_under_a_run_id_of_their_own_and_the_run_removes_them(tmp_path: Path,
                                                                                   upstream) -> None:
    """The workers' shared metrics file is named by a run id that is not a bare pid (pids are reused: a dead
    run's leftover rows under a reused pid were summed into a new run's counts), and it is gone after the run."""
    admin_port = free_port()
    path = tmp_path / "gatepost.yaml"
    path.write_text(config(upstream.url, admin_port))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    shared = tmp / "gatepost"
    with serve_process(path, "--workers", "2", env={"TEST_ADMIN_TOKEN": TOKEN, "TMPDIR": str(tmp)},
                       stdout=subprocess.DEVNULL) as (proc, port):
        wait_http(f"http://127.0.0.1:{port}/_gatepost/health", timeout=60)
        deadline = time.monotonic() + 30
        while not list(shared.glob("metrics-*.db")):  # written at the workers' first flush
            assert time.monotonic() < deadline, sorted(p.name for p in tmp.rglob("*"))
            time.sleep(0.1)
        run = {p.name.split("-", 1)[1].split(".db")[0] for p in shared.glob("metrics-*.db")}
        assert len(run) == 1 and run != {str(proc.pid)} and "-" in run.pop()
    assert not [p.name for p in shared.glob("*.db*")]
