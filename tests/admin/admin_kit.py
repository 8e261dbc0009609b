"""What the admin tests share: a gateway in a thread with its admin port on a free loopback port."""

from __future__ import annotations

import base64
import contextlib
import socket
from collections.abc import Iterator

import pytest

from gatepost.admin.server import AdminServer
from gatepost.stores.base import Catalog
from support import ThreadServer, run_gateway

TOKEN = "admin-token-for-tests-0123456789"
MASTER = b"a" * 32
ACCOUNT = "123456789012"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


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
