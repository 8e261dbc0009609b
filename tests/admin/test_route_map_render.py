"""The route map page without a browser: config values are escaped, the page's headers lock it down (its one
inline script allowed by hash), Basic authentication carries the admin token, and the counts are the metrics'."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
import requests
from admin_kit import ADMIN_TOKEN, admin_beside

from gatepost.admin.openapi import DOCUMENT
from support import run_gateway

HOSTILE = """
apis:
  shop:
    authorizers:
      idp: {type: jwt, issuer: "https://idp.example.com/<script>alert(1)</script>", audiences: [shop]}
    routes:
      - {route: "GET /items/{id}", authorizer: idp, scopes: ["<b>admin</b>\\"'"]}
      - {route: "GET /open", public: true}
    integration: {http: "%s"}
"""


def test_config_values_are_escaped_and_the_page_is_locked_down(upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_gateway(HOSTILE % upstream.url) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
        page = requests.get(admin + "/admin/map", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>alert" not in html and "<b>admin" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;admin&lt;/b&gt;&quot;&#x27;" in html
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = page.headers["content-security-policy"]
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
    assert "/admin/map" in DOCUMENT["paths"]


def test_basic_authentication_carries_the_token_and_a_browser_is_asked_for_it(
        upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_gateway(HOSTILE % upstream.url) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
        url = admin + "/admin/map"
        assert requests.get(url, auth=("anyone", ADMIN_TOKEN), timeout=10).status_code == 200
        for answer in (requests.get(url, timeout=10), requests.get(url, auth=("anyone", "wrong"), timeout=10),
                       requests.get(url, headers={"Authorization": "Basic !!not-base64"}, timeout=10)):
            assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}
            assert answer.headers["www-authenticate"] == 'Basic realm="Gatepost admin", charset="UTF-8"'
        # the JSON endpoints keep API Gateway's answer to missing credentials
        assert requests.get(admin + "/metrics", timeout=10).status_code == 403
        assert requests.get(admin + "/metrics", auth=("anyone", ADMIN_TOKEN), timeout=10).status_code == 200


def _count(html: str, route: str, outcome: str) -> int:
    row = re.search(rf'<tr class="route" data-api="shop" data-route="{re.escape(route)}">(.*?)</tr>', html, re.S)
    assert row is not None, route
    found = re.search(rf'data-outcome="{outcome}">{outcome} (\d+)</span>', row.group(1))
    assert found is not None
    return int(found.group(1))


def test_counts_by_outcome_come_from_the_metrics(upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with run_gateway(HOSTILE % upstream.url) as gw, admin_beside(gw.gateway, monkeypatch) as admin:
        for _ in range(2):
            assert gw.get("/open").status_code == 200
        assert gw.get("/items/1").status_code == 401
        html = requests.get(admin + "/admin/map?refresh=0", headers=bearer, timeout=10).text
    assert _count(html, "GET /open", "allowed") == 2 and _count(html, "GET /open", "refused") == 0
    assert _count(html, "GET /items/{id}", "refused") == 1 and _count(html, "GET /items/{id}", "allowed") == 0
    assert "401 jwt." in html  # the reason code beside the count
    assert "auto-refresh off" in html
