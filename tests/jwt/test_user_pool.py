"""user_pool against moto's Cognito server (real tokens, its published JWKS) and the local Cognito-shaped
pool (custom scopes): AWS's REST rules, the HTTP JWT rules on http APIs, groups, claims, events."""

from __future__ import annotations

import base64
import json
import time

import pytest
from jwt_helpers import Cognito, Issuers, bearer, gateway_yaml

from gatepost.authorizers.jwt_claims import java_date
from gatepost.bootstrap import build_gateway
from gatepost.clock import ManualClock
from gatepost.pipeline import serve
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog
from support import Upstream, run_gateway

ROUTES = [
    {"route": "GET /me", "authorizer": "mobile"},
    {"route": "GET /admin-scope", "authorizer": "mobile", "scopes": ["aws.cognito.signin.user.admin"]},
    {"route": "GET /profile", "authorizer": "mobile", "scopes": ["profile.read"]},
    {"route": "GET /admins", "authorizer": "mobile", "groups": ["admin"]},
    {"route": "GET /staff", "authorizer": "mobile", "groups": ["admin", "support"], "groups_match": "all"},
    {"route": "GET /ghosts", "authorizer": "mobile", "groups": ["ghost"]},
]


def moto_pool(c: Cognito, **extra: object) -> dict[str, object]:
    return {"type": "user_pool", "pool_id": c.pool_id, "jwks_uri": c.jwks_uri, **extra}


def decoded(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_rest_id_token_on_routes_without_scopes_access_token_with(cognito: Cognito, upstream: Upstream) -> None:
    with run_gateway(gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="rest")) as gw:
        assert gw.get("/me", headers=bearer(cognito.id_token)).status_code == 200
        assert gw.get("/me", headers={"authorization": cognito.id_token}).status_code == 200  # bare token too
        r = gw.get("/me", headers=bearer(cognito.access_token))  # an access token where an ID token is needed
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
        assert "www-authenticate" not in r.headers  # Cognito authorizers send no challenge
        assert gw.get("/admin-scope", headers=bearer(cognito.access_token)).status_code == 200
        r = gw.get("/admin-scope", headers=bearer(cognito.id_token))  # an ID token where scopes are required
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
        r = gw.get("/profile", headers=bearer(cognito.access_token))  # scope not in the token: 401 on REST (AWS)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
        r = gw.get("/me")
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
    seen = {k.lower(): v for k, v in upstream.calls[0]["headers"].items()}
    assert seen["x-gatepost-principal-id"] == cognito.sub
    assert seen["x-gatepost-auth-type"] == "user_pool"
    assert upstream.count == 3


def test_rest_groups_from_cognito_groups(cognito: Cognito, upstream: Upstream) -> None:
    with run_gateway(gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="rest")) as gw:
        assert gw.get("/admins", headers=bearer(cognito.id_token)).status_code == 200
        assert gw.get("/staff", headers=bearer(cognito.id_token)).status_code == 200
        r = gw.get("/ghosts", headers=bearer(cognito.id_token))
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})
        r = gw.get("/admins", headers=bearer(cognito.plain_id_token))  # a user in no group
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})


def test_rest_expired_token_message(cognito: Cognito, upstream: Upstream) -> None:
    exp = decoded(cognito.id_token)["exp"]
    clock = ManualClock(float(exp))  # type: ignore[arg-type]
    with run_gateway(gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="rest"),
                     clock=clock) as gw:
        r = gw.get("/me", headers=bearer(cognito.id_token))
    assert (r.status_code, r.json()) == (401, {"message": "The incoming token has expired"})
    assert r.headers["x-amzn-errortype"] == "UnauthorizedException"


def test_rest_app_clients_extension(cognito: Cognito, upstream: Upstream) -> None:
    ok = moto_pool(cognito, app_clients=[cognito.client_id])
    other = moto_pool(cognito, app_clients=["some-other-client"])
    with run_gateway(gateway_yaml({"mobile": ok}, ROUTES, upstream.url, flavour="rest")) as gw:
        assert gw.get("/me", headers=bearer(cognito.id_token)).status_code == 200  # aud
        assert gw.get("/admin-scope", headers=bearer(cognito.access_token)).status_code == 200  # client_id
    with run_gateway(gateway_yaml({"mobile": other}, ROUTES, upstream.url, flavour="rest")) as gw:
        assert gw.get("/me", headers=bearer(cognito.id_token)).status_code == 401
        assert gw.get("/admin-scope", headers=bearer(cognito.access_token)).status_code == 401


def test_wrong_pool_is_unauthorized(cognito: Cognito, issuers: Issuers, upstream: Upstream) -> None:
    """A real Cognito-shaped token from another pool (the local one) is refused by the moto pool's route."""
    other = issuers["pool"].mint(token_use="id")
    with run_gateway(gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="rest")) as gw:
        assert gw.get("/me", headers=bearer(other)).status_code == 401


def test_http_flavour_follows_jwt_rules(cognito: Cognito, upstream: Upstream) -> None:
    auth = moto_pool(cognito, app_clients=[cognito.client_id])
    with run_gateway(gateway_yaml({"mobile": auth}, ROUTES, upstream.url, flavour="http")) as gw:
        assert gw.get("/me", headers=bearer(cognito.id_token)).status_code == 200  # matched by aud
        assert gw.get("/me", headers=bearer(cognito.access_token)).status_code == 200  # by client_id
        assert gw.get("/admin-scope", headers=bearer(cognito.access_token)).status_code == 200
        r = gw.get("/profile", headers=bearer(cognito.access_token))
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})
        r = gw.get("/me", headers=bearer("garbage"))
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    with run_gateway(gateway_yaml({"mobile": moto_pool(cognito, app_clients=["x"])}, ROUTES, upstream.url,
                                  flavour="http")) as gw:
        r = gw.get("/me", headers=bearer(cognito.id_token))
        assert 'error_description="the token does not have a valid audience"' in r.headers["www-authenticate"]


def test_http_flavour_needs_app_clients(cognito: Cognito, upstream: Upstream) -> None:
    from gatepost.errors import ConfigError

    with pytest.raises(ConfigError, match="app_clients"), \
            run_gateway(gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="http")):
        pass


def test_pool_id_names_the_cognito_issuer(cognito: Cognito) -> None:
    gw = build_gateway(text=gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, "http://127.0.0.1:9", flavour="rest"),
                       catalog=MemoryCatalog())
    authorizer = gw.apis[0].authorizers["mobile"]
    assert list(authorizer.verifier.issuers) == [cognito.issuer]  # type: ignore[attr-defined]
    assert decoded(cognito.id_token)["iss"] == cognito.issuer


def test_local_pool_custom_scopes(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    pool = issuers["pool"]
    auth = {"type": "user_pool", "issuer": pool.issuer}
    with run_gateway(gateway_yaml({"mobile": auth}, ROUTES, upstream.url, flavour="rest"), clock=clock) as gw:
        token = pool.mint(token_use="access", scope="openid profile.read", now=clock.now())
        assert gw.get("/profile", headers=bearer(token)).status_code == 200
        assert gw.get("/admin-scope", headers=bearer(token)).status_code == 401
    seen = {k.lower(): v for k, v in upstream.calls[0]["headers"].items()}
    assert seen["x-gatepost-scopes"] == "openid profile.read"


async def _decision(cfg: str, path: str, token: str) -> tuple[object, object]:
    gw = build_gateway(text=cfg, catalog=MemoryCatalog())
    try:
        req = GatewayRequest(method="GET", path=path, headers=(("host", "x"), ("authorization", token)),
                             request_id="r-1", received_at=time.time())
        response, ex = await serve(gw, req)
        assert response.status == 200, response.body
        assert ex.match is not None
        return ex.match.route.authorizer, ex.decision
    finally:
        await gw.close()


async def test_event_claims_rest_and_http_renderings(cognito: Cognito, upstream: Upstream) -> None:
    raw = decoded(cognito.id_token)
    rest_cfg = gateway_yaml({"mobile": moto_pool(cognito)}, ROUTES, upstream.url, flavour="rest")
    authorizer, decision = await _decision(rest_cfg, "/me", cognito.id_token)
    v1 = authorizer.event_authorizer(decision, "1.0")  # type: ignore[attr-defined]
    assert v1["scopes"] is None
    claims = v1["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["exp"] == java_date(raw["exp"])  # type: ignore[arg-type]
    assert claims["iat"] == java_date(raw["iat"])  # type: ignore[arg-type]
    assert claims["auth_time"] == str(raw["auth_time"])
    assert claims["cognito:groups"] == ",".join(raw["cognito:groups"])  # type: ignore[arg-type]
    assert claims["sub"] == cognito.sub and claims["token_use"] == "id"

    http_cfg = gateway_yaml({"mobile": moto_pool(cognito, app_clients=[cognito.client_id])}, ROUTES,
                            upstream.url, flavour="http")
    authorizer, decision = await _decision(http_cfg, "/admin-scope", cognito.access_token)
    v2 = authorizer.event_authorizer(decision, "2.0")  # type: ignore[attr-defined]
    access = decoded(cognito.access_token)
    assert v2["jwt"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert v2["jwt"]["claims"]["cognito:groups"] == "[" + " ".join(access["cognito:groups"]) + "]"  # type: ignore[arg-type]
    assert v2["jwt"]["claims"]["exp"] == str(access["exp"])
    authorizer, decision = await _decision(http_cfg, "/me", cognito.access_token)
    assert authorizer.event_authorizer(decision, "2.0")["jwt"]["scopes"] is None  # type: ignore[attr-defined]


def test_java_date_format() -> None:
    assert java_date(1513495692) == "Sun Dec 17 07:28:12 UTC 2017"
    assert java_date(1767225600) == "Thu Jan 01 00:00:00 UTC 2026"
