"""Helpers for the Lambda authorizer tests: configs, the loaded handler modules, function-level requests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

from gatepost.authorizers.lambda_ import LambdaAuthorizer
from gatepost.bootstrap import build_gateway
from gatepost.clock import Clock, ManualClock
from gatepost.gateway import Gateway, RouteMatch
from gatepost.pipeline import Exchange, route
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog

HERE = Path(__file__).resolve().parent
AUTHORIZERS = HERE / "authorizers"
REPO = HERE.parent.parent
EXAMPLE = REPO / "examples" / "payments"
RECEIVED_AT = 1_767_225_600.123


def rest_config(authorizer: str, *, routes: list[str] | None = None, upstream: str = "http://127.0.0.1:9",
                extra_api: str = "", state: str = "") -> str:
    """One REST API `shop` (stage prod) whose routes all use the authorizer `auth` (YAML flow mapping)."""
    routes = routes or ["GET /pets", "GET /pets/{id}", "POST /pets", "PUT /pets/{id}", "DELETE /pets/{id}"]
    head = textwrap.dedent(f"""\
        apis:
          shop:
            flavour: rest
            api_id: a1b2c3d4e5
            stage: prod
            region: eu-west-1
            account_id: "123456789012"
            stage_variables: {{tenantHeader: x-tenant}}
            authorizers:
              auth: {authorizer}
            integration: {{http: "{upstream}"}}
            routes:
        """)
    return state + "\n" + head + _routes(routes) + extra_api


def _routes(routes: list[str]) -> str:
    return "".join(f'      - {{route: "{r}", authorizer: auth}}\n' for r in routes)


def http_config(authorizer: str, *, routes: list[str] | None = None, upstream: str = "http://127.0.0.1:9") -> str:
    routes = routes or ["GET /pets", "GET /pets/{id}", "POST /pets"]
    head = textwrap.dedent(f"""\
        apis:
          shop:
            flavour: http
            api_id: h7t7p9
            region: eu-west-1
            account_id: "123456789012"
            stage_variables: {{region: eu}}
            authorizers:
              auth: {authorizer}
            integration: {{http: "{upstream}"}}
            routes:
        """)
    return head + _routes(routes)


def gateway(config: str, *, clock: Clock | None = None, config_dir: Path = AUTHORIZERS) -> Gateway:
    return build_gateway(text=config, clock=clock or ManualClock(), catalog=MemoryCatalog(), config_dir=config_dir)


def authorizer(gw: Gateway | Any, name: str = "auth") -> LambdaAuthorizer:
    gw = getattr(gw, "gateway", gw)  # a RunningGateway or a Gateway
    found = gw.apis[0].authorizers[name]
    assert isinstance(found, LambdaAuthorizer)
    return found


def handler_module(gw: Gateway | Any, name: str = "auth") -> ModuleType:
    """The module the authorizer loaded (fresh per build): its EVENTS list records every invocation."""
    target: Any = authorizer(gw, name).target
    return sys.modules[target.handler.__module__]


def request(method: str, path: str, *, headers: dict[str, str] | list[tuple[str, str]] | None = None,
            query: str = "", source_ip: str = "203.0.113.9", request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            body: bytes = b"") -> GatewayRequest:
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    sent = [("Host", "api.example.com"), ("User-Agent", "curl/8.5.0"), *pairs]  # as a client spells them
    return GatewayRequest(method=method, path=path, query_string=query, headers=tuple((k.lower(), v) for k, v in sent),
                          raw_headers=tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in sent), body=body,
                          source_ip=source_ip, request_id=request_id, received_at=RECEIVED_AT)


def match_for(gw: Gateway, req: GatewayRequest) -> RouteMatch:
    api = gw.apis[0]
    found = gw.find_api(req.host, req.path)
    assert found is not None
    return route(api, found[1], req, Exchange(req))
