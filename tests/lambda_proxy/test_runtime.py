"""The runtime a handler expects, with both isolations: AWS's context object counting down, per-function
environment variables, module initialisation once per worker, and failures that cost one request each:
BaseException, endless recursion, a handler blocked forever (504, the worker replaced), a module that fails
to import (502, traceback in the log), a dying process (replaced). The gateway goes on serving throughout."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import RunningGateway, run_gateway

HERE = Path(__file__).parent
REST_ERROR = (502, {"message": "Internal server error"})


def _config(isolation: str) -> str:
    forever_ms = 5000 if isolation == "processes" else 2000  # a cold start (spawn + import) counts too
    lam = f"type: lambda, isolation: {isolation}, concurrency: 1"
    return f"""
apis:
  shop:
    flavour: rest
    stage: prod
    routes:
      - {{route: "GET /context", public: true,
         integration: {{{lam}, handler: "runtime_handlers:context", timeout_ms: 20000, memory_mb: 256,
                       function_name: ctx-fn, environment: {{TABLE_NAME: orders-{isolation}}}}}}}
      - {{route: "GET /other-env", public: true,
         integration: {{{lam}, handler: "runtime_handlers:context", function_name: other,
                       environment: {{STAGE_NAME: beta-{isolation}}}}}}}
      - {{route: "GET /fail", public: true, integration: {{{lam}, handler: "runtime_handlers:fail"}}}}
      - {{route: "GET /async-fail", public: true, integration: {{{lam}, handler: "runtime_handlers:async_fail"}}}}
      - {{route: "GET /forever", public: true,
         integration: {{{lam}, handler: "runtime_handlers:fail", timeout_ms: {forever_ms}}}}}
      - {{route: "GET /broken", public: true, integration: {{{lam}, handler: "broken_init:handler"}}}}
      - {{route: "GET /fast", public: true, integration: {{mock: {{status: 200, body: "fast"}}}}}}
"""


@pytest.fixture(scope="module", params=["threads", "processes"])
def gw(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningGateway]]:
    with run_gateway(_config(request.param), config_dir=HERE) as running:
        yield request.param, running


def test_context_object_counts_down_and_environment_is_per_function(gw: tuple[str, RunningGateway]) -> None:
    isolation, g = gw
    r = g.get("/context")
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["function_name"] == "ctx-fn" and info["function_version"] == "$LATEST"
    assert info["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx-fn"
    assert info["memory_limit_in_mb"] == "256" and info["log_group_name"] == "/aws/lambda/ctx-fn"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", info["log_stream_name"])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", info["aws_request_id"])
    assert 0 < info["second"] < info["first"] <= 20_000  # counts down from timeout_ms
    assert info["env"]["TABLE_NAME"] == f"orders-{isolation}"
    again = g.get("/context").json()
    assert again["aws_request_id"] != info["aws_request_id"]
    assert again["log_stream_name"] == info["log_stream_name"]  # the same instance (concurrency 1), reused
    other = g.get("/other-env").json()
    assert other["env"]["STAGE_NAME"] == f"beta-{isolation}"
    if isolation == "processes":  # each function's process has only its own variables
        assert other["env"]["TABLE_NAME"] != "orders-processes" and info["env"]["STAGE_NAME"] != "beta-processes"
        assert other["pid"] != info["pid"]


def test_module_initialisation_runs_once_per_worker(gw: tuple[str, RunningGateway]) -> None:
    _, g = gw
    seen = [g.get("/fail").json() for _ in range(3)]
    assert {s["inits"] for s in seen} == {1}
    assert len({s["pid"] for s in seen}) == 1  # reused, not started again


@pytest.mark.parametrize("how", ["exit", "interrupt", "fatal", "recursion"])
def test_base_exceptions_and_recursion_fail_one_request(gw: tuple[str, RunningGateway], how: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _, g = gw
    with caplog.at_level(logging.ERROR, logger="gatepost.integrations.lambda"):
        r = g.get(f"/fail?how={how}")
    assert (r.status_code, r.json()) == REST_ERROR
    assert "lambda.handler_error" in caplog.text
    assert g.get("/fail").status_code == 200  # the same function, the same worker, goes on
    assert g.get("/fast").text == "fast"


@pytest.mark.parametrize("how", ["exit", "interrupt"])
def test_async_handler_failures_fail_one_request(gw: tuple[str, RunningGateway], how: str) -> None:
    _, g = gw
    assert (g.get(f"/async-fail?how={how}").status_code, g.get("/async-fail").status_code) == (502, 200)


def test_handler_blocked_forever_answers_504_and_the_worker_is_replaced(gw: tuple[str, RunningGateway]) -> None:
    isolation, g = gw
    before = g.get("/forever")
    assert before.status_code == 200, before.text
    r = g.get("/forever?how=forever")
    assert (r.status_code, r.json()) == (504, {"message": "Endpoint request timed out"})
    assert g.get("/fast").text == "fast"
    after = g.get("/forever")  # concurrency 1: a fresh worker answers
    assert after.status_code == 200, after.text
    if isolation == "processes":  # the stuck process was killed, a new one took its place
        assert after.json()["pid"] != before.json()["pid"]


def test_threads_cap_the_abandoned_workers() -> None:
    """At most `concurrency` abandoned threads: past that, a stuck function fails closed (504), never grows."""
    routes = """
apis:
  shop:
    flavour: rest
    routes:
      - {route: "GET /forever", public: true,
         integration: {type: lambda, handler: "runtime_handlers:fail", concurrency: 1, timeout_ms: 500}}
      - {route: "GET /fast", public: true, integration: {mock: {status: 200, body: "fast"}}}
"""
    with run_gateway(routes, config_dir=HERE) as g:
        assert g.get("/forever?how=forever").status_code == 504  # abandoned (1 of 1)
        assert g.get("/forever?how=forever").status_code == 504  # this one keeps the only slot
        assert g.get("/forever").status_code == 504  # no slot frees: fail closed
        assert g.get("/fast").text == "fast"
        threads = g.gateway.apis[0].routes[0].integration._pool.runner.threads  # type: ignore[attr-defined]
        assert threads.abandoned == 1 and len(threads.workers()) == 2  # never more than concurrency x 2


def test_process_that_dies_is_replaced(gw: tuple[str, RunningGateway]) -> None:
    isolation, g = gw
    if isolation != "processes":
        pytest.skip("os._exit in a thread ends the gateway itself: processes isolation is the answer to that")
    first = g.get("/fail").json()["pid"]
    assert g.get("/fail?how=die").status_code == 502
    assert g.get("/fail").json()["pid"] != first


def test_import_error_answers_502_with_traceback_logged(gw: tuple[str, RunningGateway],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _, g = gw
    with caplog.at_level(logging.ERROR, logger="gatepost.integrations.lambda"):
        r = g.get("/broken", headers={"authorization": "Bearer sekret-token-value"})
    assert (r.status_code, r.json()) == REST_ERROR and "settings" not in r.text
    logged = caplog.text
    assert "lambda.init_error" in logged and "Traceback" in logged and "broken_init.py" in logged
    assert "RuntimeError: cannot reach the settings store during init" in logged
    assert "sekret-token-value" not in logged
    assert g.get("/fast").text == "fast"
