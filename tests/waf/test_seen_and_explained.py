"""A Web ACL is seen: `explain` names it in front of each route, `audit` flags public routes with no Web ACL
or rate limit in front of them, `probe` reports the rules that matched its attempts (from the gateway's
counts per rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatepost.cli import main
from gatepost.explain.audit import audit
from gatepost.explain.explain import explain, render_table
from gatepost.explain.load import load
from support import Upstream, run_gateway

FIXTURES = Path(__file__).parent / "fixtures"
RATE = {"Name": "per-ip", "Priority": 100, "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"Limit": 1000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}}}
CLOSED = {"Name": "internal-closed", "Priority": 1, "Action": {"Block": {}},
          "Statement": {"ByteMatchStatement": {"SearchString": "/internal/", "FieldToMatch": {"UriPath": {}},
                                               "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                                               "PositionalConstraint": "CONTAINS"}}}


def _text(url: str = "http://127.0.0.1:9") -> str:
    guarded = {"Name": "guarded", "DefaultAction": {"Allow": {}}, "Rules": [CLOSED, RATE]}
    no_rate = {"Name": "no-rate", "DefaultAction": {"Allow": {}}, "Rules": [CLOSED]}
    return f"""
web_acls:
  guarded: {{definition: {json.dumps(guarded)}}}
  no-rate: {{definition: {json.dumps(no_rate)}}}
apis:
  shop:
    web_acl: guarded
    base_path: /shop
    authorizers: {{internal: {{type: iam}}}}
    routes:
      - {{route: "GET /items", public: true}}
      - {{route: "POST /internal/refresh", authorizer: internal}}
    integration: {{http: "{url}"}}
  blog:
    web_acl: no-rate
    base_path: /blog
    routes: [{{route: "GET /posts", public: true}}]
    integration: {{http: "{url}"}}
  bare:
    base_path: /bare
    routes: [{{route: "GET /things", public: true}}, {{route: "GET /health", public: true}}]
    integration: {{http: "{url}"}}
  throttled:
    base_path: /t
    throttle: {{rate: 10, burst: 20}}
    routes: [{{route: "GET /x", public: true}}]
    integration: {{http: "{url}"}}
"""


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "gatepost.yaml"
    path.write_text(text)
    return path


def test_explain_names_the_acl_in_front_of_each_route(tmp_path: Path) -> None:
    loaded = load(_write(tmp_path, _text()))
    rows = {(r.api, r.route): r for r in explain(loaded)}
    assert rows[("shop", "GET /items")].web_acl == ("guarded: 2 rules, default ALLOW; rate: per-ip 1000/300s by IP")
    assert rows[("shop", "POST /internal/refresh")].web_acl == rows[("shop", "GET /items")].web_acl
    assert rows[("bare", "GET /things")].web_acl == "none"
    table = render_table(explain(loaded))
    assert "API shop (rest)  WEB ACL guarded: 2 rules, default ALLOW; rate: per-ip 1000/300s by IP" in table
    assert "API bare (rest)\n" in table


def test_audit_flags_public_routes_without_acl_or_rate_limit(tmp_path: Path) -> None:
    findings = {(f.severity, f.api, f.target) for f in audit(load(_write(tmp_path, _text())))
                if f.rule == "route.public_unguarded"}
    assert findings == {
        ("medium", "bare", "GET /things"),  # neither
        ("info", "bare", "GET /health"),  # a health check
        ("low", "blog", "GET /posts"),  # a Web ACL without a rate-based rule
        ("low", "throttled", "GET /x"),  # a throttle, no Web ACL
    }  # shop's public route has both: nothing to say


def _probe(capsys: pytest.CaptureFixture[str], url: str, config: Path) -> dict[str, Any]:
    capsys.readouterr()
    main(["probe", url, "--config", str(config), "--json"])
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_probe_reports_the_rules_that_fired(tmp_path: Path, upstream: Upstream,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _text(upstream.url))
    with run_gateway(path.read_text(), config_dir=tmp_path) as gw:
        report = _probe(capsys, gw.url, path)
        routes = {(r["api"], r["route"]): r for r in report["routes"]}
        internal = routes[("shop", "POST /internal/refresh")]
        attempts = [a for a in internal["attempts"] if a["verdict"] != "skipped"]
        assert internal["verdict"] == "pass"
        assert internal["waf_rules"] == {"guarded/internal-closed": len(attempts)}
        counts = gw.get("/_gatepost/integration-calls").json()
        assert counts["waf"]["guarded"]["internal-closed"] == len(attempts)
        capsys.readouterr()
        main(["probe", gw.url, "--config", str(path)])
        assert f"waf      rules fired: guarded/internal-closed x{len(attempts)}" in capsys.readouterr().out
    assert upstream.count == 0
