"""Where authorizer code runs: Python callables (sync in a bounded thread pool, async on the loop) with
AWS's context object, and an HTTP authorizer service in another process. Timeouts and saturation fail
closed (500); the function's own error text never reaches the client."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lakit import AUTHORIZERS, authorizer, gateway, handler_module, match_for, request, rest_config

from gatepost.clock import ManualClock
from gatepost.decision import Decision, Outcome
from gatepost.gateway import Gateway
from support import Upstream, free_port, run_gateway, wait_http


async def authorize(gw: Gateway, token: str, path: str = "/pets/1") -> Decision:
    req = request("GET", path, headers={"authorization": token})
    return await authorizer(gw).authorize(req, match_for(gw, req))


async def test_sync_handler_gets_an_aws_like_context(clock: ManualClock) -> None:
    auth = '{type: lambda, kind: token, function: "behaviours:handler", timeout_ms: 5000, function_name: partner-auth}'
    gw = gateway(rest_config(auth), clock=clock)
    await gw.start()
    decision = await authorize(gw, "context-object")
    ctx = decision.principal.context
    assert ctx is not None
    assert ctx["function_name"] == "partner-auth"
    assert ctx["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:partner-auth"
    assert len(ctx["aws_request_id"]) == 36 and ctx["aws_request_id"].count("-") == 4
    assert 4000 < ctx["remaining"] <= 5000
    await gw.close()


async def test_async_handler_runs_on_the_loop(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "behaviours:async_handler"}'), clock=clock)
    await gw.start()
    decision = await authorize(gw, "fine")
    assert decision.allowed and decision.principal.principal_id == "async-user"
    assert (await authorize(gw, "unauthorized")).outcome is Outcome.UNAUTHORIZED
    assert (await authorize(gw, "crash")).reason == "lambda.function_error"
    await gw.close()


@pytest.mark.parametrize("function", ["behaviours:handler", "behaviours:async_handler"])
async def test_timeout_is_an_authorizer_error(function: str, clock: ManualClock) -> None:
    auth = f'{{type: lambda, kind: token, function: "{function}", timeout_ms: 150}}'
    gw = gateway(rest_config(auth), clock=clock)
    await gw.start()
    decision = await authorize(gw, "slow")
    assert (decision.outcome, decision.reason) == (Outcome.ERROR, "lambda.timeout")
    assert decision.error is not None and str(decision.error.type) == "AUTHORIZER_CONFIGURATION_ERROR"
    await gw.close()


async def test_thread_pool_saturation_is_logged_and_answered_as_failure(
        clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    auth = '{type: lambda, kind: token, function: "behaviours:handler", timeout_ms: 200, concurrency: 1}'
    gw = gateway(rest_config(auth), clock=clock)
    await gw.start()
    caplog.set_level(logging.WARNING, "gatepost")
    slow, waiting = await asyncio.gather(authorize(gw, "slow"), authorize(gw, "fast"))
    assert slow.reason == "lambda.timeout"
    assert (waiting.outcome, waiting.reason) == (Outcome.ERROR, "lambda.saturated")  # never queued forever
    assert any("lambda.saturated" in r.getMessage() for r in caplog.records)
    # the timed-out call still holds the only thread: a burst beyond 4 x concurrency waiters is refused at once
    burst = await asyncio.gather(*(authorize(gw, f"t{i}") for i in range(8)))
    assert sum(d.reason == "lambda.saturated" for d in burst) >= 4
    await gw.close()


def test_handler_modules_load_next_to_the_config_or_from_the_path(tmp_path: Path) -> None:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "helpers.py").write_text("PRINCIPAL = 'from-helper'\n")
    (tmp_path / "mypkg" / "auth.py").write_text(
        "from mypkg.helpers import PRINCIPAL\n"
        "def handler(event, context):\n"
        "    return {'principalId': PRINCIPAL, 'policyDocument': {'Version': '2012-10-17', 'Statement': [\n"
        "        {'Effect': 'Allow', 'Action': 'execute-api:Invoke', 'Resource': '*'}]}}\n")
    gw = gateway(rest_config('{type: lambda, kind: token, function: "mypkg.auth:handler"}'), config_dir=tmp_path)
    assert authorizer(gw).target.describe() == "python mypkg.auth:handler"

    async def run() -> Decision:
        await gw.start()
        try:
            return await authorize(gw, "x")
        finally:
            await gw.close()

    assert asyncio.run(run()).principal.principal_id == "from-helper"
    # not next to the config: an importable module (tests/ is on sys.path, these folders are namespace packages)
    spec = "lambda_authorizer.authorizers.trap:handler"
    importable = gateway(rest_config(f'{{type: lambda, kind: token, function: "{spec}"}}'), config_dir=tmp_path)
    assert authorizer(importable).target.describe() == f"python {spec}"


def test_a_module_that_fails_to_import_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def handler(event, context:\n")
    from gatepost.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        gateway(rest_config('{type: lambda, kind: token, function: "broken:handler"}'), config_dir=tmp_path)
    assert "failed to load: SyntaxError" in str(info.value)


@pytest.fixture(scope="module")
def auth_service() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(AUTHORIZERS / "http_service.py"), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/calls")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_http_service_authorizer_in_another_process(auth_service: str, upstream: Upstream) -> None:
    auth = f'{{type: lambda, kind: token, url: "{auth_service}/authorize", timeout_ms: 1000}}'
    calls_before = requests.get(auth_service + "/calls", timeout=5).json()["n"]
    with run_gateway(rest_config(auth, upstream=upstream.url)) as gw:
        r = gw.get("/pets/1", headers={"Authorization": "allow-ana"})
        assert r.status_code == 200
        assert r.json()["headers"]["x-gatepost-principal-id"] == "svc|allow-ana"
        assert gw.get("/pets/2", headers={"Authorization": "allow-ana"}).status_code == 200  # cached, GET/* allowed
        denied = gw.post("/pets", headers={"Authorization": "allow-ana"})
        assert denied.status_code == 403
        assert denied.json() == {"Message": "User is not authorized to access this resource"}
        assert (gw.get("/pets/1", headers={"Authorization": "deny-me"}).status_code) == 401
        for token in ("boom", "garbage", "slow"):
            r = gw.get("/pets/1", headers={"Authorization": token})
            assert (token, r.status_code, r.content) == (token, 500, b'{"message":null}')
        stats = authorizer(gw).stats
        assert stats.invocations == 5 and stats.hits == 2
    assert requests.get(auth_service + "/calls", timeout=5).json()["n"] - calls_before == 5


def test_unreachable_http_service_fails_closed(upstream: Upstream) -> None:
    auth = f'{{type: lambda, kind: token, url: "http://127.0.0.1:{free_port()}/authorize", timeout_ms: 1000}}'
    with run_gateway(rest_config(auth, upstream=upstream.url)) as gw:
        r = gw.get("/pets/1", headers={"Authorization": "x"})
        assert (r.status_code, r.content) == (500, b'{"message":null}')
        assert upstream.count == 0


def test_handler_module_state_is_fresh_per_build(upstream: Upstream) -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "trap:handler"}', upstream=upstream.url)
    with run_gateway(cfg, config_dir=AUTHORIZERS) as gw:
        gw.get("/pets/1", headers={"Authorization": "let-me-in"})
        assert len(handler_module(gw).EVENTS) == 1
    with run_gateway(cfg, config_dir=AUTHORIZERS) as gw:
        assert handler_module(gw).EVENTS == []
