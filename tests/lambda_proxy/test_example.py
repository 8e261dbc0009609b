"""`gatepost serve examples/payments/gatepost.lambda.yaml`: the example's API answered by Lambda-proxy
handlers (examples/payments/handlers.py) instead of the HTTP demo upstream, same authorizers in front."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import requests

from support import REPO, free_port, wait_http


def test_lambda_example_serves_handlers_behind_the_same_auth(tmp_path: Path) -> None:
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples/payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatepost", "serve", str(example / "gatepost.lambda.yaml"), "--port", str(port)],
        cwd=example, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/_gatepost/ready", timeout=40)
        health = requests.get(base + "/health", timeout=5)
        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok", "function": "handlers-app"}  # answered by handlers.py
        assert health.headers["x-amzn-requestid"]
        for method, path in (("GET", "/me"), ("POST", "/partners/p1/transactions"),
                             ("POST", "/internal/refresh"), ("POST", "/b2b/settlements")):
            r = requests.request(method, base + path, headers={"Authorization": "Bearer garbage"}, timeout=10)
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=20)[0].decode()
    assert "Traceback" not in out, out


def test_example_handlers_read_the_caller_from_aws_events() -> None:
    """handlers.py on the events the gateway builds, with the authorizer parts each kind contributes."""
    import importlib.util
    import json

    from eventkit import CLAIMS_DECISION, CONTEXT_DECISION, ClaimsAuthorizer, ContextAuthorizer, match_for, request

    from gatepost.authorizers.lambda_targets import LambdaContext
    from gatepost.bootstrap import build_gateway
    from gatepost.integrations.events import rest_v1_event
    from gatepost.stores.memory import MemoryCatalog

    spec = importlib.util.spec_from_file_location("payments_handlers", REPO / "examples/payments/handlers.py")
    assert spec is not None and spec.loader is not None
    handlers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handlers)
    gw = build_gateway(REPO / "examples/payments/gatepost.lambda.yaml", catalog=MemoryCatalog())
    info = gw.apis[0].info
    ctx = LambdaContext("handlers-app", "arn:aws:lambda:us-east-1:123456789012:function:handlers-app", 29)

    req = request("GET", "/me")
    out = handlers.app(rest_v1_event(req, match_for(gw, req, ClaimsAuthorizer("mobile", info)), CLAIMS_DECISION), ctx)
    assert (out["statusCode"], json.loads(out["body"])["sub"]) == (200, "u-1")

    req = request("POST", "/partners/p1/transactions", body=b'{"amount": 12.5}')
    event = rest_v1_event(req, match_for(gw, req, ContextAuthorizer("partners", info)), CONTEXT_DECISION)
    body = json.loads(handlers.app(event, ctx)["body"])
    assert (body["partner"], body["tenantId"], body["principalId"], body["amount"]) == ("p1", "t-42", "partner-7",
                                                                                          12.5)
