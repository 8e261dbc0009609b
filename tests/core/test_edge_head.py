"""The request head as a hostile client writes it, over raw sockets, through the native server: the
request line, Host, header values, one credential per request, headers a client must not set, paths."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support import RunningGateway, Upstream, raw_http, run_gateway

AUTHORIZERS = Path(__file__).resolve().parent / "edge_authorizers"


def config(upstream: str, trusted: str = "[]") -> str:
    return f"""
server:
  trusted_proxies: {trusted}
apis:
  shop:
    authorizers:
      gate: {{type: lambda, kind: token, function: "gate:handler", result_ttl: 300}}
      ticket: {{type: lambda, kind: request, function: "gate:handler", result_ttl: 0,
               identity_sources: [query.ticket, header.x-tenant]}}
    routes:
      - {{route: "ANY /public/{{proxy+}}", public: true}}
      - {{route: "ANY /echo", public: true}}
      - {{route: "GET /admin", authorizer: gate}}
      - {{route: "GET /admin/{{proxy+}}", authorizer: gate}}
      - {{route: "GET /tickets", authorizer: ticket}}
    integration: {{http: "{upstream}"}}
"""


@pytest.fixture
def gw(upstream: Upstream) -> Iterator[RunningGateway]:
    with run_gateway(config(upstream.url), config_dir=AUTHORIZERS) as g:
        yield g


def events(gw: RunningGateway) -> list[dict[str, Any]]:
    """Every invocation of the config's authorizers (each may have loaded its own copy of gate.py)."""
    modules = {id(m): m for m in (sys.modules[a.target.handler.__module__]  # type: ignore[attr-defined]
                                  for a in gw.gateway.apis[0].authorizers.values())}
    return [e for m in modules.values() for e in m.EVENTS]


def send(gw: RunningGateway, head: str, *lines: str) -> tuple[int, dict[str, str], bytes]:
    """One request written as given (`head` is the request line), `Connection: close` added."""
    data = "\r\n".join([head, *lines, "Connection: close", "", ""]).encode("latin-1")
    return split(raw_http(gw.port, data))


def split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    top, _, body = response.partition(b"\r\n\r\n")
    rows = top.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (row.partition(":") for row in rows[1:])}
    return int(rows[0].split()[1]), headers, body


def refused(answer: tuple[int, dict[str, str], bytes]) -> bool:
    status, headers, body = answer
    return (status == 400 and json.loads(body) == {"message": "Bad Request"}
            and headers["x-amzn-errortype"] == "BadRequestException")


def seen(answer: tuple[int, dict[str, str], bytes]) -> dict[str, Any]:
    status, _, body = answer
    assert status == 200, body
    return json.loads(body)  # type: ignore[no-any-return]


def names(call: dict[str, Any]) -> list[str]:
    return [k.lower() for k, _ in call["header_list"]]


# -- 5. the request line, Host, header values -----------------------------------------------------------
@pytest.mark.parametrize("version", ["HTTP/0.9", "HTTP/2.0"])
def test_only_http_1_0_and_1_1_are_served(gw: RunningGateway, upstream: Upstream, version: str) -> None:
    assert refused(send(gw, f"GET /echo {version}", "Host: shop.example"))
    assert upstream.count == 0
    assert seen(send(gw, "GET /echo HTTP/1.0", "Host: shop.example"))["path"] == "/echo"


def test_the_http2_preface_gets_a_400(gw: RunningGateway, upstream: Upstream) -> None:
    status, headers, body = split(raw_http(gw.port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
    assert refused((status, headers, body)) and upstream.count == 0


@pytest.mark.parametrize("host_lines", [
    [],  # missing on HTTP/1.1
    ["Host: shop.example", "Host: evil.example"],
    ["Host: shop.example", "host: shop.example"],  # repeated, even with the same value
    ["Host: shop.example/admin"],
    ["Host: user@shop.example"],
    ["Host: "],
])
def test_exactly_one_well_formed_host(gw: RunningGateway, upstream: Upstream, host_lines: list[str]) -> None:
    assert refused(send(gw, "GET /echo HTTP/1.1", *host_lines))
    assert upstream.count == 0


def test_http_1_0_needs_a_host_too(gw: RunningGateway, upstream: Upstream) -> None:
    assert refused(send(gw, "GET /echo HTTP/1.0"))
    assert upstream.count == 0
    call = seen(send(gw, "GET /echo HTTP/1.0", "Host: shop.example"))
    assert call["path"] == "/echo" and upstream.count == 1


def test_absolute_form_target_must_name_the_host(gw: RunningGateway, upstream: Upstream) -> None:
    assert refused(send(gw, "GET http://evil.example/echo HTTP/1.1", "Host: shop.example"))
    assert refused(send(gw, "GET http://shop.example:8443/echo HTTP/1.1", "Host: shop.example"))
    assert refused(send(gw, "GET http://me@shop.example/echo HTTP/1.1", "Host: shop.example"))
    assert upstream.count == 0
    call = seen(send(gw, "GET http://Shop.Example/echo?x=1 HTTP/1.1", "Host: shop.example"))
    assert (call["path"], call["query"]) == ("/echo", "x=1")


def test_header_values_are_trimmed_before_any_check(gw: RunningGateway, upstream: Upstream) -> None:
    before = len(events(gw))
    for padding in ("", "   ", " \t ", "\t"):
        call = seen(send(gw, "GET /admin HTTP/1.1", "Host: shop.example", f"Authorization: Bearer good{padding}",
                         f"X-Note: \t kept inside  too{padding}"))
        got = {k.lower(): v for k, v in call["header_list"]}
        assert (got["authorization"], got["x-note"]) == ("Bearer good", "kept inside  too")
    invoked = events(gw)[before:]
    assert [e["authorizationToken"] for e in invoked] == ["Bearer good"]  # one cache entry for all four


# -- 3. one credential, one meaning ---------------------------------------------------------------------
@pytest.mark.parametrize("lines", [
    ["Authorization: Bearer good", "Authorization: Bearer forged"],
    ["Authorization: Bearer good", "authorization: Bearer good"],
    ["X-Api-Key: k1", "x-api-key: k2"],
    ["X-Amz-Date: 20260101T000000Z", "X-Amz-Date: 20990101T000000Z"],
    ["X-Amz-Security-Token: t1", "X-Amz-Security-Token: t2"],
    ["X-Tenant: a", "X-TENANT: b"],  # an identity source of this config's REQUEST authorizer
])
def test_a_credential_given_twice_is_refused_before_any_authorizer(
        gw: RunningGateway, upstream: Upstream, lines: list[str]) -> None:
    before = len(events(gw))
    for target in ("/admin", "/public/x", "/tickets?ticket=good"):
        assert refused(send(gw, f"GET {target} HTTP/1.1", "Host: shop.example", *lines))
    assert len(events(gw)) == before and upstream.count == 0


@pytest.mark.parametrize("query", ["ticket=good&ticket=evil", "ticket=good&x=1&ticket=good",
                                   "X-Amz-Signature=a&X-Amz-Signature=b", "X-Amz-Credential=a&x-amz-credential=b"])
def test_a_query_credential_given_twice_is_refused(gw: RunningGateway, upstream: Upstream, query: str) -> None:
    before = len(events(gw))
    assert refused(send(gw, f"GET /tickets?{query} HTTP/1.1", "Host: shop.example", "X-Tenant: a"))
    assert len(events(gw)) == before and upstream.count == 0


def test_what_was_checked_is_what_is_forwarded(gw: RunningGateway) -> None:
    call = seen(send(gw, "GET /tickets?ticket=good&other=1&other=2 HTTP/1.1", "Host: shop.example",
                     "X-Tenant: a", "X_Tenant: forged", "Authorization: Bearer x"))
    assert [(k.lower(), v) for k, v in call["header_list"] if "tenant" in k.lower()] == [("x-tenant", "a")]
    assert call["query"] == "ticket=good&other=1&other=2"  # repeated non-credential parameters are fine


# -- 4. headers a client must not set -------------------------------------------------------------------
FORGED = ["X-Gatepost-Principal-Id: admin", "x-gatepost-claims: e30", "X-GATEPOST-AUTHORIZER: gate",
          "X_Gatepost_Principal_Id: admin", "x_gatepost-auth-type: iam",
          "Forwarded: for=10.9.9.9;proto=https", "X-Forwarded-For: 10.9.9.9", "X-Forwarded-Host: admin.internal",
          "X-Forwarded-Proto: https", "X-Forwarded-Port: 443", "X-Real-IP: 10.9.9.9", "True-Client-IP: 10.9.9.9",
          "X-Client-IP: 10.9.9.9", "X-Cluster-Client-IP: 10.9.9.9", "CF-Connecting-IP: 10.9.9.9",
          "X_Forwarded_For: 10.9.9.9", "X-Original-URL: /admin", "X-Rewrite-URL: /admin",
          "X-HTTP-Method-Override: DELETE", "X_Api_Key: k"]


def test_reserved_and_client_address_headers_never_reach_the_upstream(gw: RunningGateway) -> None:
    call = seen(send(gw, "GET /public/x HTTP/1.1", "Host: shop.example:8080", *FORGED, "X-Kept: yes"))
    got = {k.lower(): v for k, v in call["header_list"]}
    assert got["x-kept"] == "yes"
    assert not [n for n in names(call) if "_" in n]
    assert not {"forwarded", "x-real-ip", "true-client-ip", "x-client-ip", "x-cluster-client-ip", "cf-connecting-ip",
                "x-original-url", "x-rewrite-url", "x-http-method-override", "x-gatepost-principal-id",
                "x-gatepost-claims"} & set(names(call))
    assert got["x-gatepost-authorizer"] == "-" and got["x-gatepost-auth-type"] == "none"  # the gateway's own
    # the gateway sets these itself, as AWS does for HTTP integrations
    assert names(call).count("x-forwarded-for") == 1 and got["x-forwarded-for"] == "127.0.0.1"
    assert (got["x-forwarded-proto"], got["x-forwarded-port"]) == ("http", str(gw.port))
    assert got["x-forwarded-host"] == "shop.example:8080"


def test_a_trusted_proxy_keeps_its_forwarded_headers(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url, trusted='["127.0.0.1/32"]'), config_dir=AUTHORIZERS) as g:
        call = seen(send(g, "GET /public/x HTTP/1.1", "Host: shop.example", "X-Forwarded-For: 203.0.113.7",
                         "X-Forwarded-Proto: https", "X-Forwarded-Port: 443", "X-Real-IP: 203.0.113.7",
                         "X_Forwarded_For: 10.9.9.9", "X-Gatepost-Principal-Id: admin"))
    got = {k.lower(): v for k, v in call["header_list"]}
    assert got["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert (got["x-forwarded-proto"], got["x-forwarded-port"], got["x-real-ip"]) == ("https", "443", "203.0.113.7")
    assert "x_forwarded_for" not in names(call) and "x-gatepost-principal-id" not in names(call)


# -- 1. paths --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "/public/..%2fadmin", "/public/..%2Fadmin", "/public/%2e%2e%2fadmin", "/public/..\\admin", "/public/..%5cadmin",
    "/public/..;/admin", "/public/%2e%2e;x/admin", "/admin;x", "/public/%252e%252e/admin", "/public/%2", "/public/%zz",
    "/public/%00", "/public/%ff", "/admin#x", "*",
])
def test_ambiguous_paths_are_refused(gw: RunningGateway, upstream: Upstream, target: str) -> None:
    before = len(events(gw))
    assert refused(send(gw, f"GET {target} HTTP/1.1", "Host: shop.example"))
    assert upstream.count == 0 and len(events(gw)) == before


@pytest.mark.parametrize("target", [
    "/public/../admin", "/public/%2e%2e/admin", "/public/.%2E/admin", "/public/x/../../admin/", "/public/./../admin",
    "//public/..//admin", "/public/%2E%2e/%61dmin", "/../admin",
])
def test_dot_segments_in_any_spelling_reach_the_protected_route(gw: RunningGateway, upstream: Upstream,
                                                                target: str) -> None:
    status, _, body = send(gw, f"GET {target} HTTP/1.1", "Host: shop.example")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})  # the protected route's authorizer
    assert upstream.count == 0


def test_the_canonical_path_is_what_the_upstream_receives(gw: RunningGateway) -> None:
    call = seen(send(gw, "GET /public/a/./b/../c//d/%7Ee%20f/ HTTP/1.1", "Host: shop.example"))
    assert (call["raw_path"], call["path"]) == ("/public/a/c/d/%7Ee%20f/", "/public/a/c/d/~e f/")
    call = seen(send(gw, "GET /public/x/%2e%2e/%2e%2e/admin/../echo?q=%2e%2e HTTP/1.1", "Host: shop.example"))
    assert call["raw_path"] == "/echo?q=%2e%2e"  # the query is not a path: forwarded as it came
