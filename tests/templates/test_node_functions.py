"""Node.js functions of a template run unchanged with `node` (no Docker), through the Lambda Runtime API
Gatepost serves: with AWS's own runtime interface client (npm `aws-lambda-ric`, which scripts/setup.sh test
builds into .venv/node) and with Gatepost's runner, which speaks the same protocol. An async ES-module
handler and a CommonJS callback-style REQUEST authorizer, each with its own Environment; a handler that
cannot be loaded (init error), one that runs out of time, and one that writes to stdout."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from template_kit import copy_fixture, serve_template

from gatepost.lambda_runtime import LambdaContext
from gatepost.templates import node_functions

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (setup.sh installs it)")


def _ric() -> Path | None:
    found = shutil.which(node_functions.RIC)
    shipped = REPO / ".venv" / "node" / "node_modules" / ".bin" / node_functions.RIC
    return Path(found) if found else shipped if shipped.is_file() else None


@pytest.fixture(params=["ric", "runner"])
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which runtime interface client runs the functions (AWS's is skipped only where it is not built)."""
    if request.param == "ric":
        ric = _ric()
        if ric is None:
            pytest.skip("aws-lambda-ric is not built (scripts/setup.sh test builds it into .venv/node)")
        monkeypatch.setenv("PATH", f"{ric.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(node_functions.CLIENT_ENV, request.param)
    return str(request.param)


def _function(root: Path, source: str, name: str = "F", **spec: Any) -> Any:
    root.mkdir(exist_ok=True)
    (root / "index.js").write_text(source)
    os.utime(root / "index.js", ns=(time.time_ns(), time.time_ns() + 1_000_000_000))  # a new process
    key = node_functions.register(node_functions.NodeSpec(str(root), "index.handler", name, **spec))
    return getattr(node_functions, key.split(":")[1])


def _context(timeout: float = 10.0) -> LambdaContext:
    return LambdaContext("F", "arn:aws:lambda:us-east-1:123456789012:function:F", timeout)


def test_node_handler_and_authorizer(client: str, tmp_path: Path) -> None:
    template = copy_fixture("sam_node", tmp_path)
    with serve_template(template) as gw:
        assert gw.get("/hello").status_code == 401  # identity source missing: no call
        assert gw.get("/hello", headers={"x-team-token": "wrong"}).status_code == 403  # the authorizer's Deny
        hello = gw.get("/hello", headers={"x-team-token": "team-secret-1"})
        assert hello.status_code == 200, hello.text
        assert hello.json() == {"runtime": "node", "stage": "prod", "function": "App", "team": "platform",
                                "remaining": True}
        boom = gw.get("/boom", headers={"x-team-token": "team-secret-1"})
        assert boom.status_code == 502 and "boom" not in boom.text  # the handler's error text stays inside


def test_the_runtime_gets_lambdas_environment_not_the_gateways(client: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_SECRET_OF_THE_GATEWAY", "s3cr3t")
    fn = _function(tmp_path / "env", "exports.handler = async (event, context) => ({"
                   " secret: process.env.GATEPOST_SECRET_OF_THE_GATEWAY || null, mine: process.env.MINE,"
                   " memory: context.memoryLimitInMB, name: context.functionName, region: process.env.AWS_REGION,"
                   " requestId: context.awsRequestId, arn: context.invokedFunctionArn,"
                   " api: typeof process.env.AWS_LAMBDA_RUNTIME_API });\n",
                   environment=(("MINE", "yes"),), memory_mb=512, region="eu-west-1")
    context = _context()
    out = fn({}, context)
    assert out == {"secret": None, "mine": "yes", "memory": "512", "name": "F", "region": "eu-west-1",
                   "requestId": context.aws_request_id, "arn": context.invoked_function_arn, "api": "string"}


def test_console_output_does_not_disturb_the_protocol(client: str, tmp_path: Path) -> None:
    fn = _function(tmp_path / "log", "exports.handler = async (e) => { console.log('{\"id\": 1}');"
                   " process.stdout.write('no newline'); return e.n * 2; };\n")
    assert fn({"n": 2}, _context()) == 4
    assert fn({"n": 5}, _context()) == 10


def test_a_handler_that_cannot_be_loaded_is_an_init_error_and_is_retried(client: str, tmp_path: Path) -> None:
    root = tmp_path / "broken"
    fn = _function(root, "throw new Error('config missing at load');\n")
    with pytest.raises(node_functions.NodeFunctionError) as exc:
        fn({}, _context())
    assert "config missing at load" in str(exc.value)
    (root / "index.js").write_text("exports.handler = async () => 'fixed';\n")  # same process key: retried
    assert fn({}, _context()) == "fixed"  # the next call starts a fresh runtime, as Lambda re-inits


def test_a_handler_out_of_time_is_stopped_and_the_next_call_gets_a_fresh_runtime(client: str,
                                                                                tmp_path: Path) -> None:
    fn = _function(tmp_path / "slow", "let calls = 0;\n"
                   "exports.handler = async (e) => { calls += 1;"
                   " if (e.hang) await new Promise((r) => setTimeout(r, 600000)); return calls; };\n")
    assert fn({}, _context()) == 1
    assert fn({}, _context()) == 2  # one process: module state survives between calls
    with pytest.raises(node_functions.NodeFunctionError) as exc:
        fn({"hang": True}, _context(timeout=1.0))
    assert "Task timed out" in str(exc.value)
    assert fn({}, _context()) == 1  # a fresh runtime after the timeout


def test_changed_node_code_gets_a_new_process(tmp_path: Path) -> None:
    root = tmp_path / "fn"
    root.mkdir()
    (root / "index.js").write_text("exports.handler = async () => 1;\n")
    spec = node_functions.NodeSpec(str(root), "index.handler", "F")
    first = node_functions.register(spec)
    assert node_functions.register(spec) == first  # unchanged code: the same process serves
    fn = getattr(node_functions, first.split(":")[1])
    assert fn({}, None) == 1
    (root / "index.js").write_text("exports.handler = async () => 2;\n")
    os.utime(root / "index.js", ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    second = node_functions.register(spec)
    assert second != first and getattr(node_functions, second.split(":")[1])({}, None) == 2


def test_the_client_is_chosen_in_one_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = node_functions.NodeSpec(str(tmp_path), "index.handler", "F")
    monkeypatch.setenv(node_functions.CLIENT_ENV, "runner")
    assert node_functions.client_command(spec) == ["node", str(node_functions.RUNNER), "index.handler"]
    shipped = tmp_path / "node_modules" / ".bin" / node_functions.RIC
    shipped.parent.mkdir(parents=True)
    shipped.write_text("#!/bin/sh\n")
    monkeypatch.setenv(node_functions.CLIENT_ENV, "")
    assert node_functions.client_command(spec) == [str(shipped), "index.handler"]  # the function ships AWS's client
