"""The http integration against a real upstream on loopback."""

from __future__ import annotations

import asyncio
import base64
import json

import orjson
import requests
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from support import Upstream, run_gateway, run_upstream


def config(url: str, extra: str = "") -> str:
    return f"""
server:
  trusted_proxies: ["10.0.0.0/8"]
apis:
  shop:
    routes:
      - {{route: "GET /health", public: true}}
      - {{route: "ANY /items/{{id}}", public: true}}
      - {{route: "ANY /files/{{proxy+}}", public: true, integration: {{http: "{url}/storage/{{proxy}}"}}}}
      - {{route: "GET /users/{{user}}/orders/{{order}}", public: true,
          integration: {{http: "{url}/u/{{user}}/o/{{order}}"}}}}
      - {{route: "GET /slow", public: true, integration: {{type: http, url: "{url}", timeout_ms: 200}}}}
    integration: {{http: "{url}"}}
{extra}
"""


def test_forwards_method_path_query_body_and_headers(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        r = gw.request("PUT", "/items/42?b=2&a=1&a=0", data=b'{"n":1}',
                       headers={"content-type": "application/json", "x-custom": "yes"})
        assert r.status_code == 200
        seen = r.json()
        assert seen["method"] == "PUT"
        assert seen["path"] == "/items/42"
        assert seen["query"] == "b=2&a=1&a=0"  # query passed as sent, order kept
        assert seen["body"] == '{"n":1}'
        assert seen["headers"]["x-custom"] == "yes"
        assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
        assert seen["headers"]["X-Forwarded-Proto"] == "http"
        assert seen["headers"]["Host"].startswith("127.0.0.1:")  # the upstream's host, not the client's


def test_path_parameters_and_greedy_proxy_are_substituted(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        assert gw.get("/files/a/b/c.txt").json()["path"] == "/storage/a/b/c.txt"
        assert gw.get("/users/7/orders/9").json()["path"] == "/u/7/o/9"
        raw = gw.get("/items/a%20b").json()
        assert raw["raw_path"] == "/items/a%20b"


def test_identity_headers_cannot_be_forged(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        seen = gw.get("/health", headers={"X-Gatepost-Principal-Id": "admin", "x-gatepost-claims": "e30",
                                          "X-GATEPOST-AUTH-TYPE": "iam"}).json()
        gp = {k.lower(): v for k, v in seen["headers"].items() if k.lower().startswith("x-gatepost-")}
        assert "x-gatepost-principal-id" not in gp
        assert "x-gatepost-claims" not in gp
        assert gp["x-gatepost-auth-type"] == "none"  # set by the gateway, not the client's value
        assert gp["x-gatepost-request-id"]


def test_hop_by_hop_headers_are_not_forwarded(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        seen = gw.get("/health", headers={"Connection": "keep-alive, x-drop-me", "x-drop-me": "1",
                                          "Keep-Alive": "timeout=5", "TE": "trailers",
                                          "Proxy-Authorization": "Basic Zm9vOmJhcg=="}).json()
        names = {k.lower() for k in seen["headers"]}
        assert not names & {"x-drop-me", "keep-alive", "te", "proxy-authorization"}


def test_untrusted_x_forwarded_for_is_dropped(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        seen = gw.get("/health", headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil"}).json()
        assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"
        assert seen["headers"].get("X-Forwarded-Host", "").startswith("127.0.0.1")


def test_trusted_proxy_chain_gives_the_client_address() -> None:
    async def whoami(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        return web.json_response(seen)

    with run_upstream(whoami) as up, run_gateway(config(up.url).replace("10.0.0.0/8", "127.0.0.0/8")) as gw:
        seen = gw.get("/health", headers={"X-Forwarded-For": "203.0.113.9, 127.0.0.5"}).json()
        assert seen["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.5, 127.0.0.1"


def test_streams_large_response_and_keeps_set_cookie_duplicates() -> None:
    payload = b"x" * (3 * 1024 * 1024)

    async def big(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        resp = web.StreamResponse(status=201)
        resp.headers.add("Set-Cookie", "a=1")
        resp.headers.add("Set-Cookie", "b=2")
        await resp.prepare(request)
        for i in range(0, len(payload), 65536):
            await resp.write(payload[i:i + 65536])
        await resp.write_eof()
        return resp

    with run_upstream(big) as up, run_gateway(config(up.url)) as gw:
        r = gw.get("/health")
        assert r.status_code == 201
        assert r.content == payload
        assert r.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_upstream_status_and_errors_pass_through() -> None:
    async def teapot(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        return web.Response(status=418, body=b"short and stout", headers={"x-up": "1"})

    with run_upstream(teapot) as up, run_gateway(config(up.url)) as gw:
        r = gw.get("/health")
        assert (r.status_code, r.content, r.headers["x-up"]) == (418, b"short and stout", "1")


def test_timeout_answers_per_flavour() -> None:
    async def slow(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        await asyncio.sleep(1.0)
        return web.Response(text="late")

    with run_upstream(slow) as up:
        with run_gateway(config(up.url)) as gw:
            r = gw.get("/slow")
            assert r.status_code == 504 and r.json() == {"message": "Endpoint request timed out"}
        with run_gateway(config(up.url).replace("  shop:\n", "  shop:\n    flavour: http\n")) as gw:
            r = gw.get("/slow")
            assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"}


def test_unreachable_upstream_is_a_gateway_error_not_a_traceback() -> None:
    from support import free_port

    with run_gateway(config(f"http://127.0.0.1:{free_port()}")) as gw:
        r = gw.get("/health")
        assert r.status_code == 504
        assert r.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
        assert r.json() == {"message": "Internal server error"}


def test_claims_header_encoding_roundtrip() -> None:
    from gatepost.propagate import b64json

    value = b64json({"sub": "u1", "groups": ["a", "b"], "name": "Zoë"})
    assert "=" not in value
    assert json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == {
        "sub": "u1", "groups": ["a", "b"], "name": "Zoë"}


CLAIM_VALUES = st.text(max_size=40) | st.integers(-(2**63), 2**63 - 1) | st.lists(st.text(max_size=5))


@given(st.dictionaries(st.text(max_size=20), CLAIM_VALUES, max_size=6))
def test_claims_header_is_the_standard_librarys_base64url_without_padding(claims: dict[str, object]) -> None:
    from gatepost.propagate import b64json

    assert b64json(claims) == base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()


def test_head_request_has_no_body(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        r = requests.head(gw.url + "/items/1", timeout=5)
        assert r.status_code == 200 and r.content == b""
        assert orjson.loads(gw.get("/items/1").content)["method"] == "GET"
