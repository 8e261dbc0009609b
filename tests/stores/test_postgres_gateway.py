"""A gateway on a Postgres catalog: a change written by another process (the CLI) takes effect on the
running gateway without a restart, announced by NOTIFY."""

from __future__ import annotations

import time

from keyed import keyed_config, new_key

from gatepost.stores.postgres import PostgresCatalog
from gatepost.usage.keys import KeyStore
from support import run_gateway


def test_key_disabled_elsewhere_is_refused_by_the_running_gateway(postgres_url: str, upstream) -> None:
    gateway_side, cli_side = PostgresCatalog(postgres_url), PostgresCatalog(postgres_url, listen=False)
    _, value = new_key(cli_side, "acme")
    try:
        with run_gateway(keyed_config(upstream.url), catalog=gateway_side) as gw:
            assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200
            KeyStore(cli_side).set_enabled("acme", False)
            deadline = time.monotonic() + 20  # a loaded machine; the NOTIFY path takes milliseconds
            while gw.get("/keyed", headers={"x-api-key": value}).status_code == 200:
                assert time.monotonic() < deadline, "the disabled key was still admitted"
                time.sleep(0.02)
            assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 403
    finally:
        cli_side.close()
