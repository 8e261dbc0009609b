"""The conformance matrix: real web apps, written for their Lambda adapters and unchanged, behind the gateway.

Apps (examples/frameworks/): FastAPI and Starlette through Mangum, Django through apig-wsgi, Flask through
apig-wsgi and through serverless-wsgi, Powertools' REST and HTTP resolvers. Each runs in REST (payload 1.0)
and HTTP API (payload 2.0) APIs, with `isolation: threads` (the default) and `processes`, every app under a
custom domain's base path (`/fastapi`, ...) that its adapter strips as on AWS. One gateway per flavour and
isolation serves all six apps (one API each); every case runs against every app.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from support import REPO, RunningGateway, run_gateway

EXAMPLES = REPO / "examples" / "frameworks"
BLOB = bytes(range(256))

# name: (handler per flavour, environment)
APPS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "fastapi": ({"rest": "fastapi_app:handler", "http": "fastapi_app:handler"}, {}),
    "starlette": ({"rest": "starlette_app:handler", "http": "starlette_app:handler"}, {}),
    "django": ({"rest": "django_app:handler", "http": "django_app:handler"}, {}),
    "flask-apig": ({"rest": "flask_app:apig_handler", "http": "flask_app:apig_handler"}, {}),
    "flask-sls": ({"rest": "flask_app:serverless_handler", "http": "flask_app:serverless_handler"},
                  {"API_GATEWAY_BASE_PATH": "flask-sls"}),
    "powertools": ({"rest": "powertools_app:rest_handler", "http": "powertools_app:http_handler"}, {}),
}
FLAVOURS = [(flavour, isolation) for flavour in ("rest", "http") for isolation in ("threads", "processes")]


def matrix_config(flavour: str, isolation: str) -> str:
    apis = []
    for name, (handlers, environment) in APPS.items():
        lam = {"type": "lambda", "handler": handlers[flavour], "isolation": isolation, "concurrency": 1,
               "function_name": name, "environment": environment}
        if flavour == "rest":
            lam["binary_media_types"] = ["application/octet-stream"]
        apis.append(f"""  {name.replace('-', '_')}:
    flavour: {flavour}
    base_path: /{name}
    routes:
      - {{route: "ANY /{{proxy+}}", public: true, integration: {json.dumps(lam)}}}""")
    return "apis:\n" + "\n".join(apis) + "\n"


@pytest.fixture(scope="module", params=FLAVOURS, ids=[f"{f}-{i}" for f, i in FLAVOURS])
def gw(request: pytest.FixtureRequest) -> Iterator[RunningGateway]:
    flavour, isolation = request.param
    with run_gateway(matrix_config(flavour, isolation), config_dir=EXAMPLES) as running:
        yield running


def raw_get(gw: RunningGateway, path: str, headers: list[tuple[str, str]]) -> tuple[int, Any]:
    """A GET with repeated header lines (requests folds them into one)."""
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
    try:
        conn.putrequest("GET", path)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _flat(values: list[str]) -> list[str]:
    """HTTP APIs comma-join repeated values (AWS); REST gives them one by one: compare them split."""
    return [part.strip() for value in values for part in value.split(",")]


@pytest.mark.parametrize("app", APPS)
def test_path_query_headers_and_cookies(gw: RunningGateway, app: str) -> None:
    status, body = raw_get(gw, f"/{app}/items/42?tag=a&tag=b", [
        ("X-Multi", "one"), ("X-Multi", "two"), ("X-Mixed-Case", "MiXeD"), ("Cookie", "s=1; t=2")])
    assert status == 200, body
    got = json.loads(body)
    assert got["item_id"] == "42"
    assert _flat(got["tags"]) == ["a", "b"]
    if app == "flask-sls" and gw.gateway.apis[0].info.flavour == "rest":
        assert got["multi"] == ["two"]  # serverless-wsgi keeps one value per header name (the last), on AWS too
    else:
        assert _flat(got["multi"]) == ["one", "two"]
    assert got["mixed"] == "MiXeD"
    assert got["cookies"] == {"s": "1", "t": "2"}
    assert got["path"].endswith("/items/42")


@pytest.mark.parametrize("app", APPS)
def test_json_body(gw: RunningGateway, app: str) -> None:
    sent = {"name": "lamp", "sizes": [1, 2], "note": "ünïcode ✓"}
    r = gw.post(f"/{app}/items", json=sent)
    assert (r.status_code, r.json()) == (200, {"received": sent})


@pytest.mark.parametrize("app", APPS)
def test_form_body(gw: RunningGateway, app: str) -> None:
    r = gw.post(f"/{app}/form", data=[("name", "ana"), ("colour", "red"), ("colour", "blue")])
    assert r.status_code == 200, r.text
    assert r.json() == {"form": {"name": ["ana"], "colour": ["red", "blue"]}}


@pytest.mark.parametrize("app", APPS)
def test_binary_upload(gw: RunningGateway, app: str) -> None:
    r = gw.post(f"/{app}/upload", data=BLOB, headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert r.json() == {"sha256": hashlib.sha256(BLOB).hexdigest(), "size": len(BLOB)}


@pytest.mark.parametrize("app", APPS)
def test_binary_download(gw: RunningGateway, app: str) -> None:
    r = gw.get(f"/{app}/download", headers={"accept": "application/octet-stream"})
    assert r.status_code == 200 and r.content == BLOB


@pytest.mark.parametrize("app", APPS)
def test_set_cookie_several_times(gw: RunningGateway, app: str) -> None:
    r = gw.get(f"/{app}/cookies")
    assert r.status_code == 200
    cookies = sorted(c.split(";", 1)[0] for c in r.raw.headers.getlist("set-cookie"))
    assert cookies == ["a=1", "b=2"]


@pytest.mark.parametrize("app", APPS)
def test_error_in_the_handler(gw: RunningGateway, app: str) -> None:
    r = gw.get(f"/{app}/error")
    # the framework's own 500 page, or (Powertools re-raises) the gateway's 502/500: never the error's text
    assert r.status_code in (500, 502)
    assert "secret-detail-42" not in r.text and "Traceback" not in r.text
    assert gw.get(f"/{app}/items/1").status_code == 200  # and the app goes on


@pytest.mark.parametrize("app", APPS)
def test_not_found_is_the_frameworks(gw: RunningGateway, app: str) -> None:
    assert gw.get(f"/{app}/no/such/page").status_code == 404


def test_examples_config_serves_every_app() -> None:
    """examples/frameworks/gatepost.yaml, as a user runs it."""
    text = (EXAMPLES / "gatepost.yaml").read_text()
    with run_gateway(text, config_dir=EXAMPLES) as running:
        for app in APPS:
            assert running.get(f"/{app}/items/7?tag=x").json()["item_id"] == "7", app

