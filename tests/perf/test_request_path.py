"""The lean request path (issue 10, bench/README.md "what was done to the request path"): every shortcut
gives the same answer as the general form it skips, over a real gateway where the shortcut lives there.

- RouteMatches of parameterless routes memoized per API (bounded, short paths only);
- the one catch-all API found without looking at host or path (`Gateway.only`);
- one-pass hop-by-hop stripping and client headers, the anonymous caller's identity headers built once;
- the start-up objects frozen out of the garbage collector's generations.
"""

from __future__ import annotations

import gc
import itertools

import pytest

from gatepost import pipeline
from gatepost.decision import PUBLIC, Decision, Principal
from gatepost.gateway import Gateway
from gatepost.integrations.http_proxy import HOP_BY_HOP, strip_hop_by_hop
from gatepost.propagate import identity_headers, outbound, strip_reserved
from gatepost.request import GatewayRequest
from gatepost.server.run import freeze_startup_objects
from support import Upstream, run_gateway

CONFIG = """
apis:
  shop:
    routes:
      - {route: "GET /a", public: true}
      - {route: "ANY /b", public: true}
      - {route: "GET /items/{id}", public: true}
    integration: {http: "UPSTREAM"}
"""

TWO_APIS = """
apis:
  shop:
    base_path: /shop
    routes: [{route: "GET /a", public: true}]
    integration: {http: "UPSTREAM"}
  ops:
    routes: [{route: "GET /a", public: true}]
    integration: {http: "UPSTREAM"}
"""


# ---- the route memo ------------------------------------------------------------------------------------------

def test_parameterless_matches_are_built_once_and_parameters_never_shared(upstream: Upstream) -> None:
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        api = gw.gateway.apis[0]
        assert gw.get("/a").status_code == 200
        first = api.matches[("GET", "/a", "/a")]
        for _ in range(3):
            assert gw.get("/a").status_code == 200
        assert api.matches[("GET", "/a", "/a")] is first and first.route.key.path == "/a"
        for method in ("GET", "POST", "DELETE"):  # ANY: one entry per verb, each with its own verb
            assert gw.request(method, "/b").status_code == 200
            assert api.matches[(method, "/b", "/b")].method == method
        assert gw.get("/items/1").status_code == 200 and gw.get("/items/2").status_code == 200
        assert [c["path"] for c in upstream.calls[-2:]] == ["/items/1", "/items/2"]
        assert not any(k[1].startswith("/items/") for k in api.matches)  # parameters: never memoized
        long_path = "/a" + "/" * 300
        assert gw.get(long_path).status_code == 200  # (a trailing slash matches /a)
        assert all(len(k[2]) <= 256 for k in api.matches)
        assert gw.get("/nope").status_code in (403, 404)  # no route: nothing memoized, the flavour's answer
        assert ("GET", "/nope", "/nope") not in api.matches


def test_the_route_memo_stays_bounded(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_MATCHES_MAX", 3)
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        api = gw.gateway.apis[0]
        for path in ("/a", "/a/", "/b", "/b/", "/a", "/b"):
            assert gw.get(path).status_code == 200
            assert len(api.matches) <= 3
        assert upstream.calls[-1]["path"] == "/b"


def test_one_catch_all_api_is_found_without_a_walk(upstream: Upstream) -> None:
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        g = gw.gateway
        assert g.only is g.apis[0]
        for host in ("", "example.com", "example.com:8080", "[::1]:80"):
            for path in ("", "/", "/a"):
                assert g.find_api(host, path) == (g.apis[0], path or "/")
    with run_gateway(TWO_APIS.replace("UPSTREAM", upstream.url)) as gw:
        assert gw.gateway.only is None  # two APIs: base paths decide
        assert gw.get("/shop/a").status_code == 200 and gw.get("/a").status_code == 200
        assert [c["path"] for c in upstream.calls[-2:]] == ["/a", "/a"]
        found = gw.gateway.find_api("h", "/shop/a")
        assert found is not None and found[0].name == "shop" and found[1] == "/a"


def test_gateway_only_needs_a_single_api_on_every_host_at_the_root(upstream: Upstream) -> None:
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        g = gw.gateway
        hosted = Gateway(g.config, (g.apis[0].__class__(**{**_fields(g.apis[0]), "hosts": frozenset({"a.example"})}),),
                         g.services)
        assert hosted.only is None and hosted.find_api("b.example", "/a") is None


def _fields(api: object) -> dict[str, object]:
    return {name: getattr(api, name) for name in api.__dataclass_fields__ if name != "matches"}  # type: ignore[attr-defined]


# ---- headers ------------------------------------------------------------------------------------------------

def _reference_strip(headers: list[tuple[str, str]], drop: frozenset[str] = HOP_BY_HOP) -> list[tuple[str, str]]:
    """The two-pass form the one-pass version replaced."""
    listed = [v for k, v in headers if k == "connection"]
    if listed:
        drop = drop | {t.strip().lower() for v in listed for t in v.split(",")}
    return [(k, v) for k, v in headers if k not in drop]


POOL = [("host", "h"), ("connection", "keep-alive"), ("connection", "X-Secret, Upgrade"), ("x-secret", "s"),
        ("upgrade", "h2c"), ("te", "trailers"), ("accept", "*/*"), ("x-gatepost-claims", "forged"),
        ("date", "d"), ("content-type", "text/plain"), ("connection", " close ,,"), ("keep-alive", "5")]


@pytest.mark.parametrize("drop", [HOP_BY_HOP, HOP_BY_HOP | {"date"}, frozenset({"te", "date"})])
def test_one_pass_hop_by_hop_stripping_matches_the_two_pass_form(drop: frozenset[str]) -> None:
    for n in range(0, 5):
        for combo in itertools.permutations(POOL, n) if n < 3 else itertools.combinations(POOL, n):
            headers = list(combo)
            assert strip_hop_by_hop(headers, drop) == _reference_strip(headers, drop), headers


def _req(headers: list[tuple[str, str]]) -> GatewayRequest:
    return GatewayRequest(method="GET", path="/a", headers=tuple(headers), request_id="rid-1")


def test_client_headers_and_anonymous_identity_match_the_general_form(upstream: Upstream) -> None:
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        match = gw.gateway.apis[0].matches.get(("GET", "/a", "/a"))
        if match is None:
            assert gw.get("/a").status_code == 200
            match = gw.gateway.apis[0].matches[("GET", "/a", "/a")]
    for n in range(0, 4):
        for combo in itertools.combinations(POOL, n):
            req = _req(list(combo))
            out = outbound(req, match, PUBLIC, "x-gatepost-")
            client = _reference_strip(strip_reserved(req.headers, "x-gatepost-"))
            assert out.client_headers == client
            assert out.headers == [*client, ("x-gatepost-request-id", "rid-1"), ("x-gatepost-authorizer", "-"),
                                   ("x-gatepost-auth-type", "none")]
    named = Decision.allow("x", authorizer="open", kind="none")
    assert identity_headers(_req([]), named, "x-p-") == [("x-p-request-id", "rid-1"), ("x-p-authorizer", "open"),
                                                         ("x-p-auth-type", "none")]
    first = identity_headers(_req([]), named, "x-p-")
    first.append(("mutated", "by a caller"))  # each request gets its own list
    assert ("mutated", "by a caller") not in identity_headers(_req([]), named, "x-p-")
    someone = Decision.allow("x", authorizer="open", kind="jwt", principal=Principal(principal_id="u-1"))
    assert ("x-p-principal-id", "u-1") in identity_headers(_req([]), someone, "x-p-")


def test_forged_connection_listed_and_identity_headers_never_reach_the_upstream(upstream: Upstream) -> None:
    with run_gateway(CONFIG.replace("UPSTREAM", upstream.url)) as gw:
        for headers in ({"X-Gatepost-Auth-Type": "jwt", "X-Secret": "s"},
                        {"Connection": "X-Secret", "X-Secret": "s", "X-Gatepost-Principal-Id": "admin"}):
            assert gw.get("/a", headers=headers).status_code == 200
            seen = {k.lower(): v for k, v in upstream.calls[-1]["headers"].items()}
            assert seen["x-gatepost-auth-type"] == "none" and "x-gatepost-principal-id" not in seen
            assert ("x-secret" in seen) == ("Connection" not in headers)


# ---- the collector ------------------------------------------------------------------------------------------

def test_startup_objects_leave_the_collectors_generations() -> None:
    before = gc.get_freeze_count()
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > before
        assert gc.isenabled()  # new garbage is still collected
    finally:
        gc.unfreeze()
