"""SAM's Auth section in its other forms, through the real translator: TOKEN DefaultAuthorizer with a
validation expression, API-wide ApiKeyRequired (preflight included), SHARED usage plan, ResourcePolicy
with IP and account lists, CORS preflight without the authorizer, AWS_IAM as DefaultAuthorizer, a REQUEST
authorizer on a query string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from template_kit import cli, copy_fixture, serve_template

from gatepost.config.load import load_file

KEY = {"x-api-key": "ShopPartnerKey01234567890"}


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_fixture("sam_forms", tmp_path)


def test_the_forms_become_the_native_settings(template: Path) -> None:
    config, _ = load_file(template)
    shop, admin = config.apis["Shop"], config.apis["Admin"]
    token = shop.authorizers["Token"]
    assert (token.kind, token.identity_sources, token.identity_validation_expression, token.result_ttl) == (
        "token", ["header.x-shop-token"], "^allow-.*|^deny-.*", 0)
    query = shop.authorizers["Query"]
    assert (query.kind, query.identity_sources, query.result_ttl) == ("request", ["query.ticket"], 60)
    routes = {r.route: r for r in shop.routes}
    assert routes["GET /cart"].authorizer == "Token" and routes["GET /cart"].api_key_required
    assert routes["OPTIONS /cart"].public and routes["OPTIONS /cart"].api_key_required  # preflight: key, no authorizer
    assert routes["GET /catalog"].public and not routes["GET /catalog"].api_key_required
    assert [r.authorizer for r in admin.routes] == ["AWS_IAM"]
    assert [s.api for s in config.usage_plans["ServerlessUsagePlan"].api_stages] == ["Shop", "Admin"]  # SHARED
    statements = shop.resource_policy["Statement"]
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert denied and all(s["Condition"]["IpAddress"]["aws:SourceIp"] == ["203.0.113.0/24", "198.51.100.7/32"]
                          for s in denied)
    assert any(s.get("Principal") == {"AWS": ["123456789012"]} for s in statements)


def test_the_forms_are_enforced(template: Path) -> None:
    assert cli("keys", "import", "shop", "--value", KEY["x-api-key"], "--plan", "ServerlessUsagePlan",
               "--config", str(template)) == 0
    with serve_template(template) as gw:
        assert gw.get("/Shop/catalog").status_code == 200  # Authorizer: NONE, ApiKeyRequired: false
        assert gw.get("/Shop/cart", headers={"X-Shop-Token": "allow-bob"}).status_code == 403  # no key
        assert gw.get("/Shop/cart", headers={**KEY, "X-Shop-Token": "garbage"}).status_code == 401  # regex
        assert gw.get("/Shop/cart", headers={**KEY, "X-Shop-Token": "deny-bob"}).status_code == 403
        cart = gw.get("/Shop/cart", headers={**KEY, "X-Shop-Token": "allow-bob"})
        assert cart.status_code == 200 and cart.json()["authorizer"]["principalId"] == "bob"
        assert gw.request("OPTIONS", "/Shop/cart").status_code == 403  # the preflight needs the key too
        preflight = gw.request("OPTIONS", "/Shop/cart", headers=KEY)
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
        assert gw.get("/Shop/tickets", headers=KEY).status_code == 401  # query string missing
        assert gw.get("/Shop/tickets?ticket=allow-amy", headers=KEY).status_code == 200
        assert gw.get("/Admin/stats").json() == {"message": "Missing Authentication Token"}


def test_a_blocked_source_ip_is_denied_by_the_resource_policy(template: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: Any) -> None:
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "Blocked=192.0.2.0/24,127.0.0.0/8")
    with serve_template(template) as gw:
        denied = gw.get("/Shop/catalog")
        assert denied.status_code == 403 and "explicit deny" in denied.json()["Message"]
