"""The jwt kind against real local issuers: token location, audiences, scopes, groups, claims, propagation."""

from __future__ import annotations

import base64
import json

import pytest
from jwt_helpers import Issuers, bearer, gateway_yaml

from gatepost.clock import ManualClock
from support import Upstream, run_gateway


def bank(issuers: Issuers, **extra: object) -> dict[str, object]:
    return {"type": "jwt", "issuer": issuers["bank"].issuer, "audiences": ["payments.example.com"], **extra}


ROUTES = [
    {"route": "GET /open", "authorizer": "bank"},
    {"route": "GET /read", "authorizer": "bank", "scopes": ["settlements.read", "admin"]},
    {"route": "GET /ops", "authorizer": "bank", "groups": ["ops", "finance"]},
    {"route": "GET /both", "authorizer": "bank", "groups": ["ops", "finance"], "groups_match": "all"},
]


def hdrs(seen: dict[str, object]) -> dict[str, str]:
    return {k.lower(): v for k, v in seen["headers"].items()}  # type: ignore[attr-defined]


def claims_header(seen: dict[str, object]) -> dict[str, object]:
    raw = hdrs(seen)["x-gatepost-claims"]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def test_valid_token_reaches_upstream_with_identity(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    token = issuers["bank"].mint(aud="payments.example.com", sub="bank-1", now=clock.now(),
                                 extra={"actor": "treasury"})
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url), clock=clock) as gw:
        for headers in (bearer(token), {"authorization": token}, {"Authorization": f"bearer  {token}"}):
            r = gw.get("/open", headers=headers)
            assert r.status_code == 200, r.text
    seen = upstream.calls[-1]
    assert hdrs(seen)["x-gatepost-principal-id"] == "bank-1"
    assert hdrs(seen)["x-gatepost-auth-type"] == "jwt"
    assert claims_header(seen)["actor"] == "treasury"
    assert "x-gatepost-scopes" not in hdrs(seen)  # the route has no scopes


def test_missing_and_garbage_tokens_are_401_with_challenge(issuers: Issuers, upstream: Upstream,
                                                           clock: ManualClock) -> None:
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url), clock=clock) as gw:
        r = gw.get("/open")
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
        assert r.headers["www-authenticate"] == "Bearer"
        r = gw.get("/open", headers=bearer("not-a-jwt"))
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == ('Bearer scope="" error="invalid_token" '
                                                 'error_description="the token is not a valid JWT"')
        assert r.headers["x-amzn-errortype"] == "UnauthorizedException"
    assert upstream.count == 0


def test_audience_any_of_and_client_id_only_without_aud(issuers: Issuers, upstream: Upstream,
                                                        clock: ManualClock) -> None:
    i = issuers["bank"]
    cfg = gateway_yaml({"bank": bank(issuers, audiences=["payments.example.com", "app-client"])}, ROUTES,
                       upstream.url)
    with run_gateway(cfg, clock=clock) as gw:
        ok = [i.mint(aud=["x", "payments.example.com"], now=clock.now()),
              i.sign({k: v for k, v in i.claims(now=clock.now(), client_id="app-client").items() if k != "aud"})]
        for token in ok:
            assert gw.get("/open", headers=bearer(token)).status_code == 200
        # aud present and wrong: client_id is not consulted (AWS)
        bad = i.mint(aud="elsewhere", client_id="app-client", now=clock.now())
        r = gw.get("/open", headers=bearer(bad))
        assert r.status_code == 401
        assert 'error_description="the token does not have a valid audience"' in r.headers["www-authenticate"]
        no_aud = i.sign({k: v for k, v in i.claims(now=clock.now()).items() if k != "aud"})
        assert gw.get("/open", headers=bearer(no_aud)).status_code == 401


@pytest.mark.parametrize("scope_claims, status", [
    ({"scope": "settlements.read other"}, 200),
    ({"scope": "other"}, 403),
    ({"scp": ["admin"]}, 200),
    ({"scp": "x admin"}, 200),
    ({"scp": ["x"]}, 403),
    ({}, 403),
])
def test_route_scopes_any_of(issuers: Issuers, upstream: Upstream, clock: ManualClock,
                             scope_claims: dict[str, object], status: int) -> None:
    i = issuers["bank"]
    token = i.sign({**i.claims(aud="payments.example.com", now=clock.now()), **scope_claims})
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url), clock=clock) as gw:
        r = gw.get("/read", headers=bearer(token))
    assert r.status_code == status
    if status == 403:
        assert r.json() == {"message": "Forbidden"}
        assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
        assert upstream.count == 0
    else:
        assert hdrs(upstream.calls[-1])["x-gatepost-scopes"]


@pytest.mark.parametrize("flavour", ["http", "rest"])
def test_scope_mismatch_is_403_forbidden_on_both_flavours(issuers: Issuers, upstream: Upstream,
                                                          clock: ManualClock, flavour: str) -> None:
    token = issuers["bank"].mint(aud="payments.example.com", scope="nope", now=clock.now())
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url, flavour=flavour),
                     clock=clock) as gw:
        r = gw.get("/read", headers=bearer(token))
    assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})


@pytest.mark.parametrize("groups, path, status", [
    (["ops"], "/ops", 200), (["finance", "x"], "/ops", 200), (["x"], "/ops", 403), (None, "/ops", 403),
    (["ops", "finance"], "/both", 200), (["ops"], "/both", 403),
])
def test_route_groups(issuers: Issuers, upstream: Upstream, clock: ManualClock, groups: list[str] | None,
                      path: str, status: int) -> None:
    token = issuers["bank"].mint(aud="payments.example.com", groups=groups, now=clock.now())
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url, flavour="rest"),
                     clock=clock) as gw:
        r = gw.get(path, headers=bearer(token))
    assert r.status_code == status
    if status == 403:
        assert r.json() == {"message": "Forbidden"}


@pytest.mark.parametrize("claim, value", [
    ("roles", "ops,finance"), ("roles", "ops finance"), ("realm_access.roles", ["ops"]),
    ("https://example.com/groups", ["finance"]),
])
def test_groups_claim_path_and_string_forms(issuers: Issuers, upstream: Upstream, clock: ManualClock,
                                            claim: str, value: object) -> None:
    i = issuers["bank"]
    claims = i.claims(aud="payments.example.com", now=clock.now())
    if claim == "realm_access.roles":
        claims["realm_access"] = {"roles": value}
    else:
        claims[claim] = value
    cfg = gateway_yaml({"bank": bank(issuers, groups_claim=claim)}, ROUTES, upstream.url)
    with run_gateway(cfg, clock=clock) as gw:
        assert gw.get("/ops", headers=bearer(i.sign(claims))).status_code == 200
        other = i.mint(aud="payments.example.com", groups=["ops"], now=clock.now())  # cognito:groups is not read
        assert gw.get("/ops", headers=bearer(other)).status_code == 403


def test_required_claims(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    i = issuers["bank"]
    cfg = gateway_yaml({"bank": bank(issuers, required_claims={"actor": ["treasury", "ops"], "tier": "gold"})},
                       ROUTES, upstream.url)
    with run_gateway(cfg, clock=clock) as gw:
        def call(extra: dict[str, object]) -> int:
            token = i.mint(aud="payments.example.com", now=clock.now(), extra=extra)
            return gw.get("/open", headers=bearer(token)).status_code
        assert call({"actor": "ops", "tier": "gold"}) == 200
        assert call({"actor": ["x", "treasury"], "tier": "gold"}) == 200
        assert call({"actor": "intern", "tier": "gold"}) == 401
        assert call({"actor": "ops"}) == 401


def test_several_issuers_each_with_its_audiences(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    auth = {"type": "jwt", "issuers": [
        {"issuer": issuers["bank"].issuer, "audiences": ["payments.example.com"]},
        {"issuer": issuers["other"].issuer, "audiences": ["partner-api"]},
    ]}
    with run_gateway(gateway_yaml({"bank": auth}, ROUTES, upstream.url), clock=clock) as gw:
        assert gw.get("/open", headers=bearer(issuers["bank"].mint(aud="payments.example.com",
                                                                   now=clock.now()))).status_code == 200
        assert gw.get("/open", headers=bearer(issuers["other"].mint(aud="partner-api",
                                                                    now=clock.now()))).status_code == 200
        # each issuer's audiences are its own
        assert gw.get("/open", headers=bearer(issuers["other"].mint(aud="payments.example.com",
                                                                    now=clock.now()))).status_code == 401


def test_query_identity_source(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    token = issuers["bank"].mint(aud="payments.example.com", now=clock.now())
    cfg = gateway_yaml({"bank": bank(issuers, identity_source="$request.querystring.access_token")}, ROUTES,
                       upstream.url)
    with run_gateway(cfg, clock=clock) as gw:
        assert gw.get("/open", params={"access_token": token}).status_code == 200
        assert gw.get("/open", headers=bearer(token)).status_code == 401


def test_leeway_and_time_claims(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    i = issuers["bank"]
    token = i.mint(aud="payments.example.com", expires_in=60, now=clock.now())
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url), clock=clock) as gw, \
            run_gateway(gateway_yaml({"bank": bank(issuers, leeway=30)}, ROUTES, upstream.url), clock=clock) as lax:
        assert gw.get("/open", headers=bearer(token)).status_code == 200
        clock.advance(59)
        assert gw.get("/open", headers=bearer(token)).status_code == 200  # served from the cache
        clock.advance(1)  # exactly exp: expired, also for a cached token
        r = gw.get("/open", headers=bearer(token))
        assert r.status_code == 401 and 'error_description="the token has expired"' in r.headers["www-authenticate"]
        assert lax.get("/open", headers=bearer(token)).status_code == 200
        clock.advance(30)
        assert lax.get("/open", headers=bearer(token)).status_code == 401
        early = i.sign({**i.claims(aud="payments.example.com", now=clock.now()), "nbf": clock.now() + 20})
        assert gw.get("/open", headers=bearer(early)).status_code == 401
        assert lax.get("/open", headers=bearer(early)).status_code == 200


def test_repeated_token_is_served_from_cache(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    token = issuers["bank"].mint(aud="payments.example.com", now=clock.now())
    with run_gateway(gateway_yaml({"bank": bank(issuers)}, ROUTES, upstream.url), clock=clock) as gw:
        for _ in range(3):
            assert gw.get("/open", headers=bearer(token)).status_code == 200
        authorizer = gw.gateway.apis[0].authorizers["bank"]
        assert len(authorizer.verifier.cache) == 1


@pytest.mark.parametrize("bad, problem", [
    ({"audiences": []}, "needs at least one audience"),
    ({"algorithms": ["HS256"]}, "not supported"),
    ({"algorithms": ["none"]}, "not supported"),
    ({"issuer": "http://idp.example.com"}, "plain http"),
    ({"identity_source": "cookie.x"}, "identity_source"),
])
def test_config_errors_are_located(issuers: Issuers, upstream: Upstream, bad: dict[str, object],
                                   problem: str) -> None:
    from gatepost.errors import ConfigError

    with pytest.raises(ConfigError) as info, run_gateway(gateway_yaml({"bank": bank(issuers, **bad)}, ROUTES,
                                                                      upstream.url)):
        pass
    assert problem in str(info.value)
    assert "authorizers.bank" in str(info.value)
