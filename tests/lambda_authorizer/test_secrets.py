"""Tokens and the function's own error text never reach a log line, the access log or the client."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from lakit import AUTHORIZERS, handler_module, rest_config

from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway

SECRET_TOKEN = "tok-3f1c9a7e5b2d4c6e8a0b"


def test_no_secret_in_logs_access_log_or_responses(tmp_path: Path, upstream: Upstream,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    access = tmp_path / "access.log"
    auth = '{type: lambda, function: "behaviours:handler", identity_sources: [header.authorization, header.x-key]}'
    bodies = []
    with run_gateway(rest_config(auth, upstream=upstream.url), config_dir=AUTHORIZERS,
                     access_log=AccessLog(str(access))) as gw:
        secret_detail = handler_module(gw).SECRET_DETAIL
        for mode in ("context", "crash", "unauthorized", "bad-policy", "array-context", "deny", "none"):
            r = gw.get("/pets/1", headers={"Authorization": mode, "X-Key": SECRET_TOKEN})
            assert r.status_code in (200, 401, 403, 500)
            if r.status_code != 200:  # (a 200 is the echo upstream, which shows the request's own headers)
                bodies.append(r.content)
        time.sleep(0.5)  # the access log flushes every 0.2 s off the request path
    logged = "\n".join(r.getMessage() for r in caplog.records) + access.read_text()
    assert "lambda.function_error" in logged and "lambda.invoked" in logged  # the lines exist...
    for secret in (SECRET_TOKEN, secret_detail):
        assert secret not in logged  # ...without the token or the function's error text
        assert len(bodies) == 6 and all(secret.encode() not in body for body in bodies)
