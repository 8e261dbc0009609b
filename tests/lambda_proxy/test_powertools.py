"""Real code nobody here wrote: an AWS Lambda Powertools app (APIGatewayRestResolver and
APIGatewayHttpResolver) runs unchanged behind the gateway, with real authorizers in front (a local OIDC
issuer for jwt / user_pool, Python Lambda authorizers), and reads everything through Powertools' accessors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from gatepost.devtools.issuer import LocalIssuer, make_app
from support import RunningGateway, ThreadServer, free_port, run_gateway

HERE = Path(__file__).parent


@contextlib.contextmanager
def run_issuers() -> Iterator[dict[str, LocalIssuer]]:
    port = free_port()
    issuers = {"bank": LocalIssuer("bank", f"http://127.0.0.1:{port}"),
               "pool": LocalIssuer("pool", f"http://127.0.0.1:{port}", user_pool=True)}
    ts = ThreadServer()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(make_app(issuers), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = ts.call(start())
    try:
        yield issuers
    finally:
        ts.call(runner.cleanup())
        ts.close()


@pytest.fixture(scope="module")
def issuers() -> Iterator[dict[str, LocalIssuer]]:
    with run_issuers() as i:
        yield i


def _http_config(bank: LocalIssuer) -> str:
    return f"""
apis:
  shop:
    flavour: http
    authorizers:
      bank: {{type: jwt, issuer: "{bank.issuer}", audiences: [shop-api]}}
      partner: {{type: lambda, function: "partner_auth:http_simple", identity_sources: [header.x-partner],
                 payload_format_version: "2.0", enable_simple_responses: true, result_ttl: 0}}
    routes:
      - {{route: "GET /orders/{{id}}", authorizer: bank, scopes: [orders.read]}}
      - {{route: "GET /partner/orders/{{id}}", authorizer: partner,
         integration: {{lambda: "powertools_app:http_handler"}}}}
      - {{route: "POST /orders", public: true}}
    integration: {{lambda: "powertools_app:http_handler"}}
"""


def _rest_config(pool: LocalIssuer) -> str:
    return f"""
apis:
  shop:
    flavour: rest
    stage: prod
    authorizers:
      mobile: {{type: user_pool, issuer: "{pool.issuer}", app_clients: [mobile-app]}}
      partner: {{type: lambda, kind: request, function: "partner_auth:rest", identity_sources: [header.x-partner]}}
    routes:
      - {{route: "GET /orders/{{id}}", authorizer: mobile}}
      - {{route: "GET /partner/orders/{{id}}", authorizer: partner}}
      - {{route: "POST /orders", public: true}}
    integration: {{lambda: "powertools_app:rest_handler"}}
"""


@pytest.fixture(scope="module")
def http_gw(issuers: dict[str, LocalIssuer]) -> Iterator[RunningGateway]:
    with run_gateway(_http_config(issuers["bank"]), config_dir=HERE) as gw:
        yield gw


@pytest.fixture(scope="module")
def rest_gw(issuers: dict[str, LocalIssuer]) -> Iterator[RunningGateway]:
    with run_gateway(_rest_config(issuers["pool"]), config_dir=HERE) as gw:
        yield gw


def test_http_resolver_reads_path_query_and_jwt_claims(http_gw: RunningGateway,
                                                       issuers: dict[str, LocalIssuer]) -> None:
    token = issuers["bank"].mint(aud="shop-api", sub="bank-1", scope="orders.read orders.write")
    r = http_gw.get("/orders/A-17?expand=items", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["order_id"], data["expand"], data["path"]) == ("A-17", "items", "/orders/A-17")
    caller = data["caller"]
    assert caller["jwt_claims"]["sub"] == "bank-1" and caller["jwt_claims"]["aud"] == "shop-api"
    assert caller["jwt_scopes"] == ["orders.read", "orders.write"]  # the token's scopes (reference 7.2)
    assert caller["lambda"] == {}


def test_http_resolver_reads_lambda_authorizer_context(http_gw: RunningGateway) -> None:
    r = http_gw.get("/partner/orders/9", headers={"x-partner": "p-key-1"})
    assert r.status_code == 200, r.text
    assert r.json()["caller"]["lambda"] == {"tenantId": "t-42", "tier": 3, "tags": ["a", "b"]}
    assert http_gw.get("/partner/orders/9", headers={"x-partner": "nope"}).status_code == 403


def test_http_resolver_json_body_and_response_object(http_gw: RunningGateway) -> None:
    r = http_gw.post("/orders", json={"item": "lamp", "qty": 2})
    assert r.status_code == 201 and r.headers["location"] == "/orders/lamp"
    assert r.json() == {"created": "lamp", "qty": 2}


def test_http_resolver_not_found_is_the_apps_own_404(http_gw: RunningGateway,
                                                     issuers: dict[str, LocalIssuer]) -> None:
    token = issuers["bank"].mint(aud="shop-api", scope="orders.read")
    r = http_gw.get("/orders/missing", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json()["message"] == "order missing"
    assert http_gw.get("/orders/1").status_code == 401  # the authorizer still runs first


def test_rest_resolver_reads_user_pool_claims(rest_gw: RunningGateway, issuers: dict[str, LocalIssuer]) -> None:
    token = issuers["pool"].mint(token_use="id", client_id="mobile-app", username="ana", groups=["admins"])
    r = rest_gw.get("/orders/B-2?expand=all", headers={"authorization": token})
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["order_id"], data["expand"], data["path"]) == ("B-2", "all", "/orders/B-2")
    claims = data["caller"]["claims"]
    assert claims["cognito:username"] == "ana" and claims["token_use"] == "id"
    assert all(isinstance(v, str) for v in claims.values())  # REST user pool claims arrive as strings


def test_rest_resolver_reads_lambda_principal_and_context(rest_gw: RunningGateway) -> None:
    r = rest_gw.get("/partner/orders/3", headers={"x-partner": "p-key-1"})
    assert r.status_code == 200, r.text
    caller = r.json()["caller"]
    assert (caller["principal_id"], caller["tenant"]) == ("partner-7", "t-42")
    assert rest_gw.get("/partner/orders/3", headers={"x-partner": "nope"}).status_code == 401


def test_rest_resolver_body_and_unknown_route(rest_gw: RunningGateway) -> None:
    r = rest_gw.post("/orders", json={"item": "desk"})
    assert (r.status_code, r.json()) == (201, {"created": "desk", "qty": 1})
    assert r.headers["location"] == "/orders/desk"
