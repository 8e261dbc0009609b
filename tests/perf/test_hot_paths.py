"""The request path's per-object memos (bench/README.md, "what was done") never mix callers up: identity
headers built once per cached claims/context object, `with_principal` without `dataclasses.replace`,
a usage plan's limits built once per key and quota window."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from gatepost import propagate
from gatepost.clock import ManualClock
from gatepost.decision import Decision, Principal
from gatepost.request import GatewayRequest
from support import Upstream, run_gateway

AUTH = '''
def handler(event, context):
    token = event["authorizationToken"]
    tenant = token.split()[-1]
    arn, stage = event["methodArn"].split("/")[:2]
    return {"principalId": "p-" + tenant,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*"}]},
            "context": {"tenantId": tenant, "n": len(tenant)}}
'''

CONFIG = """
apis:
  shop:
    authorizers:
      tok: {type: lambda, kind: token, function: "hot_auth:handler", result_ttl: 300}
    routes:
      - {route: "GET /a", authorizer: tok}
      - {route: "GET /b", authorizer: tok}
    integration: {http: "UPSTREAM"}
"""


def _decode(value: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def test_cached_lambda_contexts_reach_the_upstream_per_caller(tmp_path: Path, upstream: Upstream) -> None:
    (tmp_path / "hot_auth.py").write_text(AUTH)
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url), config_dir=tmp_path) as gw:
        for round_ in range(3):  # round 0 invokes, then every answer comes from the cache (and the memo)
            for tenant in ("acme", "globex", "initech"):
                for path in ("/a", "/b"):
                    r = requests.get(gw.url + path, headers={"Authorization": f"Bearer {tenant}"}, timeout=10)
                    assert r.status_code == 200, (round_, tenant, r.text)
                    seen = upstream.calls[-1]["headers"]
                    assert seen["x-gatepost-context-tenantid"] == tenant
                    assert seen["x-gatepost-context-n"] == str(len(tenant))
                    assert _decode(seen["x-gatepost-context"]) == {"tenantId": tenant, "n": len(tenant)}
                    assert seen["x-gatepost-principal-id"] == f"p-{tenant}"


def _headers(principal: Principal, prefix: str = "x-gatepost-") -> dict[str, str]:
    req = GatewayRequest(method="GET", path="/", request_id="r1")
    decision = Decision.allow("jwt.allow", authorizer="bank", kind="jwt", principal=principal)
    return dict(propagate.identity_headers(req, decision, prefix))


def test_claims_header_follows_the_object_not_a_stale_memo() -> None:
    one = Principal(principal_id="u1", claims={"sub": "u1", "scope": "a b"})
    two = Principal(principal_id="u2", claims={"sub": "u2"})
    for _ in range(3):
        assert _decode(_headers(one)["x-gatepost-claims"]) == {"sub": "u1", "scope": "a b"}
        assert _decode(_headers(two)["x-gatepost-claims"]) == {"sub": "u2"}
    equal_but_new = Principal(principal_id="u1", claims={"sub": "u1", "scope": "a b"})
    assert _headers(equal_but_new) == _headers(one)
    assert "x-other-claims" in _headers(one, "x-other-")  # the prefix is part of the memo key


def test_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(propagate, "_MEMO_MAX", 8)
    monkeypatch.setattr(propagate, "_memo", {})
    for i in range(50):
        claims = {"sub": f"u{i}"}
        assert _decode(_headers(Principal(claims=claims))["x-gatepost-claims"]) == claims
        assert len(propagate._memo) <= 8


def test_with_principal_changes_only_what_it_names() -> None:
    base = Decision.allow("lambda.allow", authorizer="tok", kind="lambda",
                          principal=Principal(principal_id="p", context={"a": 1}, usage_identifier_key="k"),
                          extra={"cached": True})
    changed = base.with_principal(api_key_id="key-1")
    assert changed.principal == Principal(principal_id="p", context={"a": 1}, usage_identifier_key="k",
                                          api_key_id="key-1")
    assert (changed.outcome, changed.reason, changed.authorizer, changed.kind, changed.extra) == (
        base.outcome, base.reason, base.authorizer, base.kind, base.extra)
    assert base.principal.api_key_id is None
    with pytest.raises(TypeError):
        base.with_principal(api_key=1)


PLAN_CONFIG = """
state: {counters: "memory://"}
usage_plans:
  gold:
    api_stages: [{api: shop}]
    quota: {limit: 2, period: DAY}
apis:
  shop:
    routes:
      - {route: "GET /k", public: true, api_key_required: true}
    integration: {http: "UPSTREAM"}
"""


def test_cached_plan_limits_follow_the_quota_window_both_ways(tmp_path: Path, upstream: Upstream) -> None:
    from gatepost.stores.memory import MemoryCatalog
    from gatepost.usage.keys import KeyStore

    clock = ManualClock(1_795_305_600.0 - 60)  # one minute before 00:00 UTC, 2026-11-22
    catalog = MemoryCatalog()
    keys = KeyStore(catalog, clock)
    doc, value = keys.create("partner")
    keys.attach("gold", doc["id"], stages={"gold": {("shop", "prod")}})
    with run_gateway(PLAN_CONFIG.replace("UPSTREAM", upstream.url), clock=clock, catalog=catalog,
                     config_dir=tmp_path) as gw:
        def statuses(n: int) -> list[int]:
            return [requests.get(gw.url + "/k", headers={"x-api-key": value}, timeout=10).status_code
                    for _ in range(n)]

        assert statuses(3) == [200, 200, 429]
        clock.advance(60)  # 00:00: a new window, so new cached limits (a new quota key)
        assert statuses(1) == [200]  # today: 1 of 2 used
        clock.set(1_795_305_600.0 - 30)  # the wall clock stepped back into yesterday: yesterday's key (2 used)
        assert statuses(1) == [429]
        clock.set(1_795_305_600.0 + 30)  # and forward again: today's key, 1 used
        assert statuses(2) == [200, 429]
