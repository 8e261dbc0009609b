"""API keys on keyed routes, against a real gateway and a real upstream: AWS's 403s, the key id upstream,
rotation with a grace period, disable/enable reaching a running gateway within a second."""

from __future__ import annotations

import requests
from keyed import keyed_config, new_key

from gatepost.clock import ManualClock
from gatepost.stores.memory import MemoryCatalog
from gatepost.usage.keys import KeyStore
from support import catalog_caught_up, run_gateway


def _forbidden(r: requests.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json() == {"message": "Forbidden"}
    assert r.headers["x-amzn-errortype"] == "ForbiddenException"


def test_missing_unknown_disabled_and_planless_keys_are_forbidden(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, planless = new_key(catalog, "no-plan", plan=None, clock=clock)
    kid, value = new_key(catalog, "disabled", clock=clock)
    KeyStore(catalog, clock).set_enabled(kid, False)
    _, other_stage = new_key(catalog, "silver-only", plan="silver", clock=clock)
    with run_gateway(keyed_config(upstream.url), clock=clock, catalog=catalog) as gw:
        _forbidden(gw.get("/keyed"))
        _forbidden(gw.get("/keyed", headers={"x-api-key": "A" * 40}))
        _forbidden(gw.get("/keyed", headers={"x-api-key": value}))
        _forbidden(gw.get("/keyed", headers={"x-api-key": planless}))
        _forbidden(gw.get("/keyed", headers={"x-api-key": other_stage}))  # its plan covers another API stage
        _forbidden(gw.get("/keyed", headers={"x-api-key": ""}))
        assert gw.get("/other/keyed", headers={"x-api-key": other_stage}).status_code == 200
    assert upstream.count == 1  # a rejected request never reaches the integration


def test_valid_key_passes_and_upstream_sees_its_id_not_a_secret(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    kid, value = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url), clock=clock, catalog=catalog) as gw:
        r = gw.get("/keyed", headers={"X-API-Key": value})  # header name is case-insensitive
        assert r.status_code == 200
        assert r.json()["headers"]["x-gatepost-api-key-id"] == kid
        # routes without api_key_required ignore the header, as AWS
        assert gw.get("/open", headers={"x-api-key": "nonsense"}).status_code == 200
        assert gw.get("/open").status_code == 200


def test_disable_and_enable_reach_the_running_gateway_within_a_second(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    store = KeyStore(catalog, clock)
    with run_gateway(keyed_config(upstream.url), clock=clock, catalog=catalog) as gw:
        assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200
        for enabled, expected in ((False, 403), (True, 200)):
            store.set_enabled("acme", enabled)
            assert gw.gateway.services.watcher.interval < 1.0  # its next poll comes within a second
            catalog_caught_up(gw)
            assert gw.get("/keyed", headers={"x-api-key": value}).status_code == expected


def test_rotation_keeps_the_old_value_for_the_grace_period(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    kid, old = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url), clock=clock, catalog=catalog) as gw:
        doc, new = KeyStore(catalog, clock).rotate("acme", grace=3600)
        assert doc["id"] == kid and new != old
        catalog_caught_up(gw)
        assert gw.get("/keyed", headers={"x-api-key": new}).status_code == 200
        r = gw.get("/keyed", headers={"x-api-key": old})
        assert r.status_code == 200 and r.json()["headers"]["x-gatepost-api-key-id"] == kid
        clock.advance(3601)
        _forbidden(gw.get("/keyed", headers={"x-api-key": old}))
        assert gw.get("/keyed", headers={"x-api-key": new}).status_code == 200


def test_rotation_without_grace_cuts_the_old_value_at_once(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, old = new_key(catalog, "acme", clock=clock)
    with run_gateway(keyed_config(upstream.url), clock=clock, catalog=catalog) as gw:
        assert gw.get("/keyed", headers={"x-api-key": old}).status_code == 200
        _, new = KeyStore(catalog, clock).rotate("acme", grace=0)
        catalog_caught_up(gw)
        assert gw.get("/keyed", headers={"x-api-key": old}).status_code == 403
        assert gw.get("/keyed", headers={"x-api-key": new}).status_code == 200


def test_keys_on_an_http_api_an_extension(upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = keyed_config(upstream.url).replace("  shop:\n", "  shop:\n    flavour: http\n")
    with run_gateway(config, clock=clock, catalog=catalog) as gw:
        _forbidden(gw.get("/keyed"))
        assert gw.get("/keyed", headers={"x-api-key": value}).status_code == 200
