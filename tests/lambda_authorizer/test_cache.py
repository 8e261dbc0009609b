"""The result cache, AWS's way (reference 1.7): TTL on the injected clock, the whole result reused across
routes with the policy evaluated afresh (the methodArn trap), what is and is not cached, the key, and
single-flight. Plus the seeds' number: one invocation per 60,000 requests at 200 req/s with TTL 300."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from lakit import AUTHORIZERS, EXAMPLE, authorizer, gateway, handler_module, match_for, request, rest_config

from gatepost.clock import ManualClock
from gatepost.decision import Decision, Outcome
from gatepost.gateway import Gateway
from support import Upstream, run_gateway

TRAP = '{{type: lambda, kind: token, function: "trap:handler", result_ttl: {ttl}}}'


async def authorize(gw: Gateway, method: str, path: str, token: str | None = "let-me-in",
                    headers: dict[str, str] | None = None, query: str = "") -> Decision:
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["authorization"] = token
    req = request(method, path, headers=hdrs, query=query)
    return await authorizer(gw).authorize(req, match_for(gw, req))


async def test_the_method_arn_trap_is_reproduced_faithfully(clock: ManualClock) -> None:
    gw = gateway(rest_config(TRAP.format(ttl=300)), clock=clock)
    await gw.start()
    first = await authorize(gw, "GET", "/pets/1")
    assert (first.outcome, first.reason) == (Outcome.ALLOW, "lambda.allow")
    again = await authorize(gw, "GET", "/pets/1")
    assert (again.outcome, again.reason) == (Outcome.ALLOW, "lambda.allow.cached")
    other = await authorize(gw, "GET", "/pets/2")  # same token, another ARN: the cached policy names /pets/1 only
    assert (other.outcome, other.reason) == (Outcome.DENY, "lambda.implicit_deny")
    assert other.error is not None and other.error.message == "User is not authorized to access this resource"
    assert len(handler_module(gw).EVENTS) == 1
    clock.advance(299.9)
    assert (await authorize(gw, "DELETE", "/pets/2")).outcome is Outcome.DENY
    clock.advance(0.1)  # TTL over: the next request invokes again, for its own ARN
    assert (await authorize(gw, "DELETE", "/pets/2")).outcome is Outcome.ALLOW
    assert [e["methodArn"].split("/prod/")[1] for e in handler_module(gw).EVENTS] == ["GET/pets/1", "DELETE/pets/2"]
    assert (await authorize(gw, "GET", "/pets/1")).outcome is Outcome.DENY
    await gw.close()


async def test_ttl_zero_invokes_for_every_request_and_the_trap_disappears(clock: ManualClock) -> None:
    gw = gateway(rest_config(TRAP.format(ttl=0)), clock=clock)
    await gw.start()
    for path in ("/pets/1", "/pets/2", "/pets/1"):
        assert (await authorize(gw, "GET", path)).reason == "lambda.allow"
    assert authorizer(gw).stats.invocations == 3
    assert authorizer(gw).stats.hits == authorizer(gw).stats.misses == 0
    await gw.close()


async def test_a_wildcard_policy_serves_every_route_from_one_invocation(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "blueprint:lambda_handler"}'), clock=clock)
    await gw.start()
    expected = {("GET", "/pets"): Outcome.ALLOW, ("GET", "/pets/3"): Outcome.ALLOW,
                ("DELETE", "/pets/3"): Outcome.DENY, ("PUT", "/pets/3"): Outcome.DENY}
    for (method, path), outcome in expected.items():
        decision = await authorize(gw, method, path, "Bearer reader")
        assert decision.outcome is outcome, (method, path)
        assert decision.principal.context == {"key": "value", "number": 1, "bool": True}  # the context is cached too
    assert (await authorize(gw, "DELETE", "/pets/3", "Bearer reader")).reason == "lambda.explicit_deny"
    # the blueprint's conditional statement: POST /pets only from 127.0.0.0/8, evaluated per request
    loopback = request("POST", "/pets", headers={"authorization": "Bearer reader"}, source_ip="127.0.0.1")
    assert (await authorizer(gw).authorize(loopback, match_for(gw, loopback))).outcome is Outcome.ALLOW
    assert (await authorize(gw, "POST", "/pets", "Bearer reader")).outcome is Outcome.DENY  # 203.0.113.9
    assert authorizer(gw).stats.invocations == 1
    await gw.close()


async def test_deny_results_are_cached_unauthorized_and_errors_are_not(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "behaviours:handler"}'), clock=clock)
    await gw.start()
    for token, outcome in (("deny", Outcome.DENY), ("unauthorized", Outcome.UNAUTHORIZED), ("crash", Outcome.ERROR),
                           ("none", Outcome.ERROR)):
        for _ in range(3):
            assert (await authorize(gw, "GET", "/pets/1", token)).outcome is outcome
    tokens = [e["authorizationToken"] for e in handler_module(gw).EVENTS]
    assert tokens.count("deny") == 1
    assert tokens.count("unauthorized") == tokens.count("crash") == tokens.count("none") == 3
    await gw.close()


async def test_request_key_is_every_identity_source(clock: ManualClock) -> None:
    auth = '{type: lambda, function: "behaviours:handler", identity_sources: [header.x-key, query.tenant]}'
    gw = gateway(rest_config(auth), clock=clock)
    await gw.start()
    for key, tenant in (("k1", "a"), ("k1", "a"), ("k1", "b"), ("k2", "a"), ("k1", "b")):
        assert (await authorize(gw, "GET", "/pets/1", None, {"x-key": key}, f"tenant={tenant}")).allowed
    assert authorizer(gw).stats.invocations == 3
    assert authorizer(gw).stats.hits == 2
    await gw.close()


async def test_cache_keys_hold_a_digest_never_the_token(clock: ManualClock) -> None:
    gw = gateway(rest_config(TRAP.format(ttl=300)), clock=clock)
    await gw.start()
    await authorize(gw, "GET", "/pets/1")
    keys = list(gw.services.cache._data)  # type: ignore[attr-defined]
    assert len(keys) == 1
    assert keys[0].startswith("authz:a1b2c3d4e5:prod:auth:")
    assert "let-me-in" not in keys[0]
    await gw.close()


async def test_usage_identifier_key_and_context_come_from_the_cached_result(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "behaviours:handler"}'), clock=clock)
    await gw.start()
    for reason in ("lambda.allow", "lambda.allow.cached"):
        decision = await authorize(gw, "GET", "/pets/1", "usage-key")
        assert decision.reason == reason
        assert decision.principal.usage_identifier_key == "partner-key-value"
        assert decision.principal.principal_id == "user-7"
    await gw.close()


async def test_concurrent_first_requests_share_one_invocation(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "behaviours:single_flight"}'), clock=clock)
    await gw.start()
    decisions = await asyncio.gather(*(authorize(gw, "GET", f"/pets/{i}", "same") for i in range(25)),
                                     *(authorize(gw, "GET", "/pets/1", "other") for _ in range(5)))
    assert all(d.allowed for d in decisions)
    stats = authorizer(gw).stats
    assert stats.invocations == 2
    assert stats.coalesced == 28
    assert sorted(e["authorizationToken"] for e in handler_module(gw).EVENTS) == ["other", "same"]
    await gw.close()


async def test_ttl_zero_has_no_single_flight(clock: ManualClock) -> None:
    auth = '{type: lambda, kind: token, function: "behaviours:single_flight", result_ttl: 0}'
    gw = gateway(rest_config(auth), clock=clock)
    await gw.start()
    await asyncio.gather(*(authorize(gw, "GET", "/pets/1", "same") for _ in range(4)))
    assert authorizer(gw).stats.invocations == 4
    await gw.close()


def test_single_flight_over_real_http(upstream: Upstream) -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "behaviours:single_flight"}', upstream=upstream.url)
    with run_gateway(cfg, config_dir=AUTHORIZERS) as gw, ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda i: gw.get(f"/pets/{i}", headers={"Authorization": "tok"}).status_code,
                                 range(16)))
        assert statuses == [200] * 16
        assert authorizer(gw).stats.invocations == 1
        assert upstream.count == 16


@pytest.mark.parametrize("seconds", [300, 900])
async def test_seed_numbers_one_invocation_per_60000_requests(seconds: int) -> None:
    """seeds/four-callers-four-authorisers.txt: 200 req/s for one key, TTL 300 -> one call per 60,000 requests."""
    clock = ManualClock()
    auth = ('{type: lambda, function: "partners_auth:handler", identity_sources: [header.x-api-key], '
            'result_ttl: 300}')
    gw = gateway(rest_config(auth, routes=["POST /partners/{id}/transactions"]), clock=clock, config_dir=EXAMPLE)
    await gw.start()
    a = authorizer(gw)
    req = request("POST", "/partners/acme/transactions", headers={"x-api-key": "DemoPartnerAcme4f9c2b7e1d"})
    match = match_for(gw, req)
    allowed = 0
    for _second in range(seconds):
        for _ in range(200):
            allowed += (await a.authorize(req, match)).allowed
        clock.advance(1.0)
    requests_sent = seconds * 200
    assert allowed == requests_sent
    assert a.stats.invocations == requests_sent // 60_000
    assert a.stats.misses == a.stats.invocations and a.stats.hits == requests_sent - a.stats.invocations
    await gw.close()


async def test_counters_are_logged_while_they_move(clock: ManualClock, caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import gatepost.authorizers.lambda_ as module

    monkeypatch.setattr(module, "STATS_INTERVAL", 0.05)
    caplog.set_level(logging.INFO, "gatepost")
    gw = gateway(rest_config(TRAP.format(ttl=300)), clock=clock)
    await gw.start()
    await authorize(gw, "GET", "/pets/1")
    await authorize(gw, "GET", "/pets/1")
    await asyncio.sleep(0.2)  # the reporter runs in the background every STATS_INTERVAL
    lines = [r.getMessage() for r in caplog.records if "lambda.stats" in r.getMessage()]
    assert lines == ["lambda.stats authorizer=auth api=shop stage=prod invocations=1 hits=1 misses=1 coalesced=0"]
    await gw.close()
