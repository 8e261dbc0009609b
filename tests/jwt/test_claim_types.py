"""Claims of any JSON type, in a token signed with the issuer's real key, never cost a 5xx: every claim the
authorizers read (`aud`, `scope`, `scp`, `cognito:groups`, `exp`, `nbf`, `iat`, `client_id`, `token_use`)
is type-checked before use, and the events and upstream headers render whatever else a token carries.

Property over arbitrary claim values (hypothesis, the suite's short budget; `HYPOTHESIS_PROFILE=fuzz` for a
long search), through the real pipeline: JWKS from a local issuer over HTTP, Lambda proxy events (REST 1.0
and HTTP 2.0 renderings), an HTTP upstream receiving the propagated claims.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwt_helpers import Issuers, gateway_yaml, run_issuers

from gatepost.bootstrap import build_gateway
from gatepost.devtools.issuer import LocalIssuer
from gatepost.devtools.jws_sign import b64url, signature
from gatepost.gateway import Gateway
from gatepost.pipeline import serve
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog
from support import Upstream, run_upstream

HERE = Path(__file__).parent
LAMBDA = {"type": "lambda", "handler": "claim_handlers:echo"}
# a loaded machine may be slow to answer the first key fetch: wait longer and retry soon, so one slow fetch
# does not leave the module's gateways without keys (this test is about claims, not about issuer outages)
PATIENT = {"jwks": {"fetch_timeout": 10, "refetch_interval": 1}}
CHECKED = ["aud", "scope", "scp", "cognito:groups", "exp", "nbf", "iat", "client_id", "token_use", "sub", "iss"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
    | st.sampled_from(["mobile-app", "demo", "id", "access", "profile.read", "admin", "gold"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
overrides = st.dictionaries(st.sampled_from(CHECKED) | st.text(max_size=8), json_values, max_size=5)


def sign(issuer: LocalIssuer, claims: dict[str, Any]) -> str:
    """Signed with the issuer's real key; the payload through `json` (any integer, unlike orjson's 64 bits)."""
    key = issuer.signing_key
    head = b64url(json.dumps({"alg": key.alg, "typ": "JWT", "kid": key.kid}).encode())
    signing_input = f"{head}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature(key.alg, key.private, signing_input.encode('ascii')))}"


class World:
    def __init__(self, issuers: Issuers, upstream: Upstream) -> None:
        self.issuers = issuers
        self.loop = asyncio.new_event_loop()
        pool, bank = issuers["pool"], issuers["bank"]
        rest = gateway_yaml(
            {"mobile": {"type": "user_pool", "issuer": pool.issuer, "app_clients": ["mobile-app"], **PATIENT}},
            [{"route": "GET /me", "authorizer": "mobile"},
             {"route": "GET /scoped", "authorizer": "mobile", "scopes": ["profile.read"]},
             {"route": "GET /admins", "authorizer": "mobile", "groups": ["admin"]},
             {"route": "GET /upstream", "authorizer": "mobile", "integration": {"http": upstream.url}}],
            upstream.url, flavour="rest", integration=LAMBDA)
        http = gateway_yaml(
            {"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": ["demo"], "required_claims": {"tier": "gold"},
                      **PATIENT},
             "bankany": {"type": "jwt", "issuer": bank.issuer, "audiences": ["demo"], **PATIENT},
             "mobile": {"type": "user_pool", "issuer": pool.issuer, "app_clients": ["mobile-app"], **PATIENT}},
            [{"route": "GET /jwt/me", "authorizer": "bankany"},
             {"route": "GET /jwt/gold", "authorizer": "bank"},
             {"route": "GET /jwt/scoped", "authorizer": "bankany", "scopes": ["profile.read"]},
             {"route": "GET /jwt/groups", "authorizer": "bankany", "groups": ["admin"], "groups_match": "all"},
             {"route": "GET /jwt/v1", "authorizer": "bankany",
              "integration": {**LAMBDA, "payload_format_version": "1.0"}},
             {"route": "GET /jwt/upstream", "authorizer": "bankany", "integration": {"http": upstream.url}},
             {"route": "GET /pool/me", "authorizer": "mobile"},
             {"route": "GET /pool/scoped", "authorizer": "mobile", "scopes": ["profile.read"]}],
            upstream.url, flavour="http", integration=LAMBDA)
        self.rest = self._build(rest)
        self.http = self._build(http)

    def _build(self, text: str) -> Gateway:
        gw = build_gateway(text=text, catalog=MemoryCatalog(), config_dir=HERE)
        self.loop.run_until_complete(gw.start())
        return gw

    def status(self, gw: Gateway, path: str, token: str) -> int:
        req = GatewayRequest(method="GET", path=path, headers=(("host", "x"), ("authorization", f"Bearer {token}")),
                             request_id="r-1", received_at=time.time())
        response, _ = self.loop.run_until_complete(serve(gw, req))
        return response.status

    def close(self) -> None:
        for gw in (self.rest, self.http):
            self.loop.run_until_complete(gw.close())
        self.loop.close()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with run_issuers() as issuers, run_upstream() as upstream:
        w = World(issuers, upstream)
        try:
            yield w
        finally:
            w.close()


REST_PATHS = ["/me", "/scoped", "/admins", "/upstream"]
HTTP_PATHS = ["/jwt/me", "/jwt/gold", "/jwt/scoped", "/jwt/groups", "/jwt/v1", "/jwt/upstream", "/pool/me",
              "/pool/scoped"]


@given(extra=overrides, token_use=st.sampled_from(["id", "access"]), path=st.sampled_from(REST_PATHS))
def test_user_pool_rest_claims_of_any_type_are_200_401_or_403(world: World, extra: dict[str, Any], token_use: str,
                                                               path: str) -> None:
    pool = world.issuers["pool"]
    token = sign(pool, pool.claims(token_use=token_use, scope="profile.read", groups=["admin"], extra=extra))
    assert world.status(world.rest, path, token) in (200, 401, 403)


@given(extra=overrides, path=st.sampled_from(HTTP_PATHS))
def test_jwt_and_http_user_pool_claims_of_any_type_are_200_401_or_403(world: World, extra: dict[str, Any],
                                                                      path: str) -> None:
    issuer = world.issuers["pool" if path.startswith("/pool") else "bank"]
    claims = issuer.claims(token_use="access", scope="profile.read", groups=["admin"], extra={"tier": "gold"})
    token = sign(issuer, {**claims, **extra})
    assert world.status(world.http, path, token) in (200, 401, 403)


@pytest.mark.parametrize("aud", [["mobile-app"], {"a": 1}, 7, None, True])
def test_user_pool_rest_aud_of_another_type_is_401(world: World, aud: Any) -> None:
    """The case that answered 500: an ID token whose `aud` is an array, on a route with app clients."""
    pool = world.issuers["pool"]
    token = pool.sign(pool.claims(token_use="id", extra={"aud": aud}))
    assert world.status(world.rest, "/me", token) == 401
    assert world.status(world.rest, "/me", pool.sign(pool.claims(token_use="id"))) == 200


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_time_claims_out_of_calendar_range_render_in_rest_events(world: World, claim: str) -> None:
    """exp 1e300 (far future) or iat -1e300 (far past) pass the time checks; the REST event, which shows them as
    Java dates, shows them as numbers instead of failing."""
    pool = world.issuers["pool"]
    value = 1e300 if claim == "exp" else -1e300
    token = pool.sign(pool.claims(token_use="id", extra={claim: value}))
    assert world.status(world.rest, "/me", token) == 200
