"""Key handling against real issuer servers: discovery, caching, unknown-kid refetch (rate-limited),
rotation, last-known-good during an outage, fail-closed without keys, timeouts, size cap, isolation."""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp import web
from jwt_helpers import SLOW, Issuers, access_log_reasons, bearer, gateway_yaml, run_issuers, run_web

from gatepost.clock import ManualClock
from gatepost.devtools.jws_sign import generate_key, public_jwk, sign_jwt
from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway

AUD = "payments.example.com"
ROUTES = [{"route": "GET /bank", "authorizer": "bank"}]


def jwt_auth(issuer: str, **extra: object) -> dict[str, object]:
    return {"type": "jwt", "issuer": issuer, "audiences": [AUD], **extra}


def wait_for(predicate: object, timeout: float = 5.0) -> None:
    """Wait for a background fetch (a real event, not the passing of time) to land."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def test_discovery_then_jwks_and_explicit_jwks_uri(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    bank = issuers["bank"]
    token = bank.mint(aud=AUD, now=clock.now())
    with run_gateway(gateway_yaml({"bank": jwt_auth(bank.issuer)}, ROUTES, upstream.url), clock=clock) as gw:
        assert gw.get("/bank", headers=bearer(token)).status_code == 200
    assert issuers.server.count("/bank/.well-known/openid-configuration") == 1
    assert issuers.jwks_fetches("bank") == 1
    uri = f"{bank.issuer}/.well-known/jwks.json"
    with run_gateway(gateway_yaml({"bank": jwt_auth(bank.issuer, jwks_uri=uri)}, ROUTES, upstream.url),
                     clock=clock) as gw:
        assert gw.get("/bank", headers=bearer(token)).status_code == 200
    assert issuers.server.count("/bank/.well-known/openid-configuration") == 1  # not asked again
    assert issuers.jwks_fetches("bank") == 2


def test_unknown_kid_flood_costs_one_fetch_per_interval(issuers: Issuers, upstream: Upstream,
                                                        clock: ManualClock) -> None:
    bank = issuers["bank"]
    evil = generate_key("RS256")
    claims = bank.claims(aud=AUD, now=clock.now())
    with run_gateway(gateway_yaml({"bank": jwt_auth(bank.issuer)}, ROUTES, upstream.url), clock=clock) as gw:
        assert gw.get("/bank", headers=bearer(bank.sign(claims))).status_code == 200
        assert issuers.jwks_fetches("bank") == 1

        def flood(n: int) -> list[int]:
            tokens = [sign_jwt(claims, evil, "RS256", kid=secrets.token_hex(6)) for _ in range(n)]
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(lambda t: gw.get("/bank", headers=bearer(t)).status_code, tokens))

        assert set(flood(20)) == {401}
        assert issuers.jwks_fetches("bank") == 1  # within the interval of the first fetch: none
        clock.advance(30)
        assert set(flood(30)) == {401}
        assert issuers.jwks_fetches("bank") == 2  # one fetch for the whole flood
        assert set(flood(10)) == {401}
        assert issuers.jwks_fetches("bank") == 2


def test_rotation_new_kid_is_fetched_and_removed_kid_stops_working(issuers: Issuers, upstream: Upstream,
                                                                   clock: ManualClock) -> None:
    bank = issuers["bank"]
    old = bank.mint(aud=AUD, now=clock.now(), expires_in=86_400)
    with run_gateway(gateway_yaml({"bank": jwt_auth(bank.issuer)}, ROUTES, upstream.url), clock=clock) as gw:
        assert gw.get("/bank", headers=bearer(old)).status_code == 200
        bank.rotate(keep_old=True)
        new = bank.mint(aud=AUD, now=clock.now())
        assert gw.get("/bank", headers=bearer(new)).status_code == 401  # refetch interval not over: fail closed
        clock.advance(30)
        assert gw.get("/bank", headers=bearer(new)).status_code == 200  # unknown kid -> one refetch
        assert gw.get("/bank", headers=bearer(old)).status_code == 200
        bank.rotate(keep_old=False)  # both earlier keys withdrawn
        clock.advance(3600)  # keys are stale: the next request refreshes them in the background
        fetches = issuers.jwks_fetches("bank")
        assert gw.get("/bank", headers=bearer(old)).status_code == 200  # still known until the refresh lands
        wait_for(lambda: issuers.jwks_fetches("bank") == fetches + 1)
        wait_for(lambda: gw.get("/bank", headers=bearer(old)).status_code == 401)  # cached token dropped too
        assert gw.get("/bank", headers=bearer(new)).status_code == 401
        assert gw.get("/bank", headers=bearer(bank.mint(aud=AUD, now=clock.now()))).status_code == 200


@pytest.mark.parametrize("kind", ["jwt", "user_pool"])
def test_last_known_good_while_the_issuer_is_down(kind: str, upstream: Upstream, clock: ManualClock,
                                                  tmp_path: Path) -> None:
    with run_issuers({"bank": kind == "user_pool"}) as issuers:
        bank = issuers["bank"]
        token = bank.mint(aud=AUD, token_use="id", now=clock.now(), expires_in=7 * 86_400)
        auth = (jwt_auth(bank.issuer, jwks={"last_known_good": 600}) if kind == "jwt"
                else {"type": "user_pool", "issuer": bank.issuer, "jwks": {"last_known_good": 600}})
        log = tmp_path / "access.log"
        with run_gateway(gateway_yaml({"bank": auth}, ROUTES, upstream.url, flavour="rest"), clock=clock,
                         access_log=AccessLog(str(log))) as gw:
            assert gw.get("/bank", headers=bearer(token)).status_code == 200
            issuers.server.stop()  # the outage begins
            # same key, a new token: not in the verified-token cache
            fresh = bank.mint(aud=AUD, token_use="id", now=clock.now(), expires_in=86_400)
            clock.advance(3600 + 599)
            assert gw.get("/bank", headers=bearer(token)).status_code == 200
            assert gw.get("/bank", headers=bearer(fresh)).status_code == 200
            unknown = sign_jwt(bank.claims(aud=AUD, token_use="id", now=clock.now()), generate_key(), "RS256",
                               kid="rotated-in-during-outage")
            r = gw.get("/bank", headers=bearer(unknown))
            assert r.status_code == 401  # unknown kid: fail closed, whatever the kind
            clock.advance(1)  # last-known-good time is over
            r = gw.get("/bank", headers=bearer(token))
            if kind == "jwt":
                assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
            else:
                assert (r.status_code, r.json()) == (500, {"message": None})
                assert r.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
            issuers.server.start()  # the issuer is back (same port, same keys)
            clock.advance(30)
            assert gw.get("/bank", headers=bearer(token)).status_code == 200
    reasons = access_log_reasons(log)
    assert f"{kind}.no_keys" in reasons and f"{kind}.unknown_kid" in reasons


@pytest.mark.parametrize("kind, status, body", [("jwt", 401, {"message": "Unauthorized"}),
                                                ("user_pool", 500, {"message": None})])
def test_no_key_ever_fetched(kind: str, status: int, body: dict[str, object], upstream: Upstream,
                             clock: ManualClock) -> None:
    with run_issuers({"bank": True}) as issuers:
        bank = issuers["bank"]
        issuers.server.stop()
        token = bank.mint(client_id=AUD, token_use="id", now=clock.now())  # a pool ID token: aud = AUD
        auth = (jwt_auth(bank.issuer) if kind == "jwt" else {"type": "user_pool", "issuer": bank.issuer})
        with run_gateway(gateway_yaml({"bank": auth}, ROUTES, upstream.url, flavour="rest"), clock=clock) as gw:
            r = gw.get("/bank", headers=bearer(token))
            assert (r.status_code, r.json()) == (status, body)
            issuers.server.start()
            assert gw.get("/bank", headers=bearer(token)).status_code == status  # retry waits for the interval
            clock.advance(30)
            assert gw.get("/bank", headers=bearer(token)).status_code == 200
    assert upstream.count == 1


def test_one_issuer_outage_never_touches_another(upstream: Upstream, clock: ManualClock) -> None:
    routes = [{"route": "GET /bank", "authorizer": "bank"}, {"route": "GET /other", "authorizer": "other"}]
    with run_issuers({"bank": False}) as a, run_issuers({"other": False}) as b:
        cfg = gateway_yaml({"bank": jwt_auth(a["bank"].issuer), "other": jwt_auth(b["other"].issuer)}, routes,
                           upstream.url)
        with run_gateway(cfg, clock=clock) as gw:
            ta = a["bank"].mint(aud=AUD, now=clock.now(), expires_in=86_400)
            tb = b["other"].mint(aud=AUD, now=clock.now(), expires_in=86_400)
            assert gw.get("/bank", headers=bearer(ta)).status_code == 200
            a.server.stop()
            statuses = []
            for step in range(12):
                clock.advance(600)  # past max_age, then past last-known-good: bank goes dark
                fresh_b = b["other"].mint(aud=AUD, now=clock.now())
                statuses.append((gw.get("/bank", headers=bearer(ta)).status_code,
                                 gw.get("/other", headers=bearer(tb if step % 2 else fresh_b)).status_code))
            assert {s for _, s in statuses} == {200}  # the other issuer's route answered 200 throughout
            assert statuses[-1][0] == 401


def test_hanging_issuer_times_out_in_about_1_5_s_and_blocks_no_one_else(issuers: Issuers, upstream: Upstream,
                                                                       clock: ManualClock) -> None:
    routes = [{"route": "GET /bank", "authorizer": "bank"}, {"route": "GET /other", "authorizer": "other"}]
    other = issuers["other"]
    with run_web({"/{tail:.*}": SLOW}) as slow:
        hung = f"{slow.url}/bank"
        cfg = gateway_yaml({"bank": jwt_auth(hung), "other": jwt_auth(other.issuer)}, routes, upstream.url)
        with run_gateway(cfg, clock=clock) as gw:
            token_b = other.mint(aud=AUD, now=clock.now())
            clock.advance(30)  # the start fetch is over its interval: the request below fetches again
            with ThreadPoolExecutor(1) as pool:
                started = time.monotonic()
                future = pool.submit(gw.get, "/bank", headers=bearer(other.sign(
                    {**other.claims(aud=AUD, now=clock.now()), "iss": hung})))
                time.sleep(0.2)
                quick = []
                for _ in range(5):
                    t0 = time.monotonic()
                    quick.append(gw.get("/other", headers=bearer(token_b)).status_code)
                    assert time.monotonic() - t0 < 1.0
                r = future.result()
                elapsed = time.monotonic() - started
    assert quick == [200] * 5
    assert r.status_code == 401
    assert 1.3 <= elapsed < 3.5


def _jwks_server(padding: int) -> tuple[dict[str, object], object]:
    key = generate_key()
    doc = {"keys": [public_jwk(key, "k1", "RS256")], "padding": "x" * padding}

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(doc)
    return doc, key, serve  # type: ignore[return-value]


@pytest.mark.parametrize("size, status", [(149_000, 200), (150_001, 401)])
def test_jwks_size_cap(size: int, status: int, upstream: Upstream, clock: ManualClock,
                       caplog: pytest.LogCaptureFixture) -> None:
    import orjson

    doc, key, serve = _jwks_server(0)  # type: ignore[misc]
    doc["padding"] = "x" * (size - len(orjson.dumps(doc)))
    assert len(orjson.dumps(doc)) == size
    with run_web({"/jwks.json": serve}) as server:
        issuer = "https://bank.example.com"
        cfg = gateway_yaml({"bank": jwt_auth(issuer, jwks_uri=f"{server.url}/jwks.json")}, ROUTES, upstream.url)
        token = sign_jwt({"iss": issuer, "aud": AUD, "exp": clock.now() + 60}, key, "RS256", kid="k1")
        with caplog.at_level(logging.INFO, "gatepost.jwks"), run_gateway(cfg, clock=clock) as gw:
            assert gw.get("/bank", headers=bearer(token)).status_code == status
    if status == 401:
        assert "jwks.fetch_failed" in caplog.text and "over 150000 bytes" in caplog.text
    else:
        assert "jwks.fetched" in caplog.text


def test_discovery_naming_another_issuer_is_refused(upstream: Upstream, clock: ManualClock,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    key = generate_key()

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response({"issuer": "https://evil.example.com", "jwks_uri": f"{request.url.origin()}/k"})

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [public_jwk(key, "k1", "RS256")]})

    with run_web({"/.well-known/openid-configuration": discovery, "/k": jwks}) as server, \
            caplog.at_level(logging.INFO, "gatepost.jwks"):
        cfg = gateway_yaml({"bank": jwt_auth(server.url)}, ROUTES, upstream.url)
        token = sign_jwt({"iss": server.url, "aud": AUD, "exp": clock.now() + 60}, key, "RS256", kid="k1")
        with run_gateway(cfg, clock=clock) as gw:
            assert gw.get("/bank", headers=bearer(token)).status_code == 401
        assert server.count("/k") == 0
    assert "names another issuer" in caplog.text
