"""Postgres unreachable: authorization goes on from the snapshots each worker holds, for
`state.catalog_max_stale` seconds (then 503 on the routes that read them); writes fail with a clear error
and write nothing; the gateway reconnects by itself. A throwaway cluster of its own is stopped and started."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from keyed import keyed_config, new_key

from gatepost.cli import main as cli_main
from gatepost.clock import ManualClock
from gatepost.stores.errors import CatalogUnavailable
from gatepost.stores.postgres import PostgresCatalog
from gatepost.usage.keys import KeyStore
from postgres_server import run_postgres
from support import run_gateway


def until(fn: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not fn():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.timeout(240)
def test_postgres_outage_serves_from_snapshots_then_fails_closed_and_recovers(
        tmp_path: Path, upstream, capsys: pytest.CaptureFixture[str]) -> None:
    clock = ManualClock()
    with run_postgres() as pg:
        url = pg.create_database()
        gateway_side, cli_side = PostgresCatalog(url, timeout=1.0), PostgresCatalog(url, listen=False, timeout=1.0)
        _, value = new_key(cli_side, "acme")
        config = keyed_config(upstream.url).replace("state: {", "state: {catalog_max_stale: 60, ")
        config_file = tmp_path / "gatepost.yaml"
        config_file.write_text(keyed_config(upstream.url).replace("state: {", f"state: {{catalog: '{url}', "))
        h = {"x-api-key": value}
        with run_gateway(config, clock=clock, catalog=gateway_side) as gw:
            watcher = gw.gateway.services.watcher
            assert gw.get("/keyed", headers=h).status_code == 200
            pg.stop()
            # writes fail clearly, nothing half-written
            with pytest.raises(CatalogUnavailable):
                KeyStore(cli_side).set_enabled("acme", False)
            assert cli_main(["keys", "disable", "acme", "--config", str(config_file)]) == 1
            err = capsys.readouterr().err
            assert "gatepost: catalog postgresql://postgres@127.0.0.1" in err and "Traceback" not in err
            # within the bound: the snapshot still authorizes
            until(lambda: watcher._lost)
            assert gw.get("/keyed", headers=h).status_code == 200
            assert gw.get("/keyed", headers={"x-api-key": "Z" * 30}).status_code == 403
            # past the bound: routes that read the catalog answer 503; others are served
            clock.advance(61)
            until(lambda: watcher.stale)
            r = gw.get("/keyed", headers=h)
            assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"}
            assert gw.get("/open").status_code == 200
            # back: reconnected by itself, fresh again, and writes reach the running gateway
            pg.start()
            until(lambda: not watcher.stale)
            assert gw.get("/keyed", headers=h).status_code == 200
            KeyStore(cli_side).set_enabled("acme", False)
            until(lambda: gw.get("/keyed", headers=h).status_code == 403)
        cli_side.close()
