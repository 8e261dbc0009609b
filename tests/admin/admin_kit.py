"""What the admin tests share: a gateway in a thread with its admin port on a free loopback port, and a
parsed scrape of its /metrics."""

from __future__ import annotations

import base64
import contextlib
import socket
from collections.abc import Iterator

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.parser import text_string_to_metric_families

from gatepost.admin.server import AdminServer
from gatepost.gateway import Gateway
from gatepost.stores.base import Catalog
from support import ThreadServer, run_gateway

TOKEN = "admin-token-for-tests-0123456789"
MASTER = b"a" * 32
ACCOUNT = "123456789012"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

# A gateway with one of everything the admin API manages: a usage plan, a built-in pool, an IAM route.
CONFIG = """
admin: {{enabled: true, port: 0, token_env: TEST_ADMIN_TOKEN}}
usage_plans:
  gold: {{api_stages: [{{api: shop}}], quota: {{limit: 5, period: DAY}}}}
user_pools:
  mobile:
    public_url: http://gatepost.test
    hashing: {{time_cost: 1, memory_kib: 8192, parallelism: 1}}
    clients: {{app: {{}}, backend: {{generate_secret: true}}}}
    groups: {{admins: {{precedence: 1}}}}
apis:
  shop:
    authorizers: {{sig: {{type: iam}}}}
    routes:
      - {{route: "GET /keyed", public: true, api_key_required: true}}
      - {{route: "GET /private", authorizer: sig}}
    integration: {{http: "{upstream}"}}
"""


def sigv4(access_key_id: str, secret: str, url: str, service: str = "execute-api") -> dict[str, str]:
    """The headers of a SigV4-signed GET (botocore's signer)."""
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key_id, secret), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


@contextlib.contextmanager
def admin_of(gw_text: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("TEST_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("GATEPOST_MASTER_KEY", base64.b64encode(MASTER).decode())
    with run_gateway(gw_text, catalog=catalog) as gw:
        ts = ThreadServer()
        admin = AdminServer(gw.gateway, 1)
        try:
            port = ts.call(admin.start(_bound()))
            yield gw.url, f"http://127.0.0.1:{port}"
        finally:
            ts.call(admin.stop())
            ts.close()


def _bound() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


ADMIN_TOKEN = "admin-token-for-tests-9876543210"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@contextlib.contextmanager
def admin_beside(gw: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The admin port of `gw` (a gateway already serving) on a free loopback port (bearer token ADMIN_TOKEN)."""
    monkeypatch.setenv(gw.config.admin.token_env or "GATEPOST_ADMIN_TOKEN", ADMIN_TOKEN)
    ts = ThreadServer()
    admin = AdminServer(gw, 1)
    try:
        yield f"http://127.0.0.1:{ts.call(admin.start(_bound()))}"
    finally:
        ts.call(admin.stop())
        ts.close()


def scrape(admin: str) -> Samples:
    """GET /metrics (bearer ADMIN_TOKEN), parsed: (name, sorted labels) -> value."""
    answer = requests.get(admin + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    out: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The one sample `name` whose labels include `labels` (None when there is none)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None
