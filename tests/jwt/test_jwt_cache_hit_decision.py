"""A verified-token cache hit reuses the Decision built for that token (per route kind: with or without
scopes), while the per-route checks (audience, scopes, groups, required claims) still run every request."""

from __future__ import annotations

import base64
import json

import pytest
from jwt_helpers import Issuers, bearer, gateway_yaml

from gatepost.authorizers.token_authorizer import TokenAuthorizer
from gatepost.clock import ManualClock
from support import Upstream, run_gateway

ROUTES = [
    {"route": "GET /open", "authorizer": "bank"},
    {"route": "GET /read", "authorizer": "bank", "scopes": ["settlements.read"]},
    {"route": "GET /ops", "authorizer": "bank", "groups": ["ops"]},
]


def _seen(upstream: Upstream) -> dict[str, str]:
    return {k.lower(): v for k, v in upstream.calls[-1]["headers"].items()}


def _claims(headers: dict[str, str]) -> dict[str, object]:
    raw = headers["x-gatepost-claims"]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))  # type: ignore[no-any-return]


def test_cache_hits_keep_each_callers_identity_and_each_routes_checks(issuers: Issuers, upstream: Upstream,
                                                                      clock: ManualClock) -> None:
    bank = issuers["bank"]
    reader = bank.mint(aud="payments.example.com", sub="reader", scope="settlements.read", groups=["x"],
                       now=clock.now())
    operator = bank.mint(aud="payments.example.com", sub="operator", groups=["ops"], now=clock.now())
    authorizer = {"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": ["payments.example.com"]}}
    with run_gateway(gateway_yaml(authorizer, ROUTES, upstream.url), clock=clock) as gw:
        auth = gw.gateway.apis[0].authorizers["bank"]
        assert isinstance(auth, TokenAuthorizer)
        for round_ in range(3):  # round 0 verifies each token; then every answer is a cache hit
            for token, sub, ok in ((reader, "reader", {"/open", "/read"}), (operator, "operator", {"/open", "/ops"})):
                for path in ("/open", "/read", "/ops"):
                    r = gw.get(path, headers=bearer(token))
                    assert r.status_code == (200 if path in ok else 403), (round_, sub, path, r.text)
                    if path in ok:
                        seen = _seen(upstream)
                        assert seen["x-gatepost-principal-id"] == sub
                        assert _claims(seen)["sub"] == sub
                        assert ("x-gatepost-scopes" in seen) == (path == "/read")  # only routes with scopes
        # one memoized decision per (token, route kind) that was allowed from the cache
        decisions = {(d.principal.principal_id, d.principal.scopes is not None, d.reason)
                     for _, d in auth._allowed.values()}
        assert decisions == {("reader", False, "jwt.allow.cached"), ("reader", True, "jwt.allow.cached"),
                             ("operator", False, "jwt.allow.cached")}


def test_the_decision_memo_stays_bounded(issuers: Issuers, upstream: Upstream, clock: ManualClock,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import gatepost.authorizers.token_authorizer as ta

    monkeypatch.setattr(ta, "_ALLOWED_MAX", 2)
    bank = issuers["bank"]
    tokens = [bank.mint(aud="payments.example.com", sub=f"u{i}", now=clock.now()) for i in range(4)]
    authorizer = {"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": ["payments.example.com"]}}
    with run_gateway(gateway_yaml(authorizer, ROUTES, upstream.url), clock=clock) as gw:
        auth = gw.gateway.apis[0].authorizers["bank"]
        assert isinstance(auth, TokenAuthorizer)
        for _ in range(2):
            for i, token in enumerate(tokens):
                assert gw.get("/open", headers=bearer(token)).status_code == 200
                assert _seen(upstream)["x-gatepost-principal-id"] == f"u{i}"
                assert len(auth._allowed) <= 2
