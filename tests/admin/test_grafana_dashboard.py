"""examples/grafana/gatepost-dashboard.json asks only for what /metrics exports: every metric name in its
PromQL is a sample of a real scrape (a gateway with a Lambda and a JWT authorizer, a usage plan, Redis
counters and a failing integration, after a few requests), and every label it groups or filters by is one
those samples carry."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from admin_kit import admin_beside, scrape

from support import REPO, free_port, run_gateway

DASHBOARD = REPO / "examples" / "grafana" / "gatepost-dashboard.json"
NAME = re.compile(r"\bgatepost_[a-z0-9_]+\b")
GROUPING = re.compile(r"\bby\s*\(([^)]*)\)")
SELECTOR_LABEL = re.compile(r"\b(gatepost_[a-z0-9_]+)\{([^}]*)\}")


def config(upstream: str, redis: str, closed: int) -> str:
    return f"""
state: {{counters: "{redis}"}}
usage_plans:
  gold: {{api_stages: [{{api: shop}}], throttle: {{rate: 10, burst: 10}}, quota: {{limit: 1000, period: DAY}}}}
apis:
  shop:
    authorizers:
      partners: {{type: lambda, kind: request, function: "partners_auth:handler",
                 identity_sources: ["header.x-api-key"], result_ttl: 300}}
      bank: {{type: jwt, issuer: "http://127.0.0.1:{closed}/bank", audiences: [shop]}}
    routes:
      - {{route: "GET /open", public: true}}
      - {{route: "POST /partners/{{id}}/transactions", authorizer: partners, api_key_required: true}}
      - {{route: "GET /bank", authorizer: bank}}
      - {{route: "GET /down", public: true, integration: {{http: "http://127.0.0.1:{closed}"}}}}
    integration: {{http: "{upstream}"}}
"""


def expressions(doc: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in doc["templating"]["list"] if v.get("type") == "query"]
    return exprs


def test_every_metric_and_label_the_dashboard_uses_is_exported(
        upstream, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(DASHBOARD.read_text())
    exprs = expressions(doc)
    assert len(exprs) >= 15 and all(NAME.search(e) for e in exprs)
    with run_gateway(config(upstream.url, redis_url, free_port()), config_dir=REPO / "examples" / "payments") as gw, \
            admin_beside(gw.gateway, monkeypatch) as admin:
        assert gw.get("/open").status_code == 200
        assert gw.get("/down").status_code in (502, 504)
        assert gw.post("/partners/p1/transactions", headers={"x-api-key": "not-a-partner"}).status_code in (401, 403)
        assert gw.get("/bank", headers={"authorization": "Bearer x.y.z"}).status_code == 401
        samples = scrape(admin)
    labels: dict[str, set[str]] = {}
    for name, pairs in samples:
        labels.setdefault(name, set()).update(k for k, _ in pairs)
    for expr in exprs:
        for name in NAME.findall(expr):
            assert name in labels, f"{name} (in {expr!r}) is not exported; exported: {sorted(labels)}"
        names = NAME.findall(expr)
        for group in GROUPING.findall(expr):
            for label in (x.strip() for x in group.split(",") if x.strip()):
                assert all(label in labels[n] for n in names), f"{expr!r} groups by {label!r}"
        for name, selector in SELECTOR_LABEL.findall(expr):
            for label in re.findall(r"([a-z_]+)\s*[=!~]", selector):
                assert label in labels[name], f"{expr!r} selects {name} by {label!r}"
    used = {n for e in exprs for n in NAME.findall(e)}
    families = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in labels}
    assert families <= {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in used}, \
        f"exported but on no panel: {sorted(families - {re.sub(r'_(total|bucket|count|sum)$', '', n) for n in used})}"
