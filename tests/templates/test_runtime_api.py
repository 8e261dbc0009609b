"""The Lambda Runtime API Gatepost serves to a Node.js function's runtime process, spoken by hand as AWS
documents it (2018-06-01): next invocation with its headers, response, error, init error, and what a
runtime gets wrong (an unknown request id, an unknown path, a response over 6 MB)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gatepost.templates.runtime_api import MAX_RESPONSE_BYTES, Invocation, RuntimeApi

BASE = "/2018-06-01/runtime"


@pytest.fixture
def api() -> Iterator[RuntimeApi]:
    served = RuntimeApi()
    yield served
    served.close()


def _client(api: RuntimeApi) -> httpx.Client:
    return httpx.Client(base_url=f"http://{api.address}", timeout=30)


def _next_in_background(api: RuntimeApi) -> tuple[threading.Thread, dict[str, Any]]:
    got: dict[str, Any] = {}

    def poll() -> None:
        with _client(api) as client:
            got["response"] = client.get(f"{BASE}/invocation/next")

    thread = threading.Thread(target=poll)
    thread.start()
    return thread, got


def test_next_blocks_until_an_invocation_and_carries_its_headers(api: RuntimeApi) -> None:
    thread, got = _next_in_background(api)
    thread.join(0.2)
    assert thread.is_alive()  # long poll: nothing to run yet
    deadline = int(time.time() * 1000) + 3000
    invocation = Invocation({"path": "/hello"}, deadline, "arn:aws:lambda:us-east-1:123456789012:function:App",
                            trace_id="Root=1-5e0b-abc", client_context='{"custom":{}}')
    api.submit(invocation)
    thread.join(30)
    response = got["response"]
    assert response.status_code == 200 and response.json() == {"path": "/hello"}
    assert response.headers["Lambda-Runtime-Aws-Request-Id"] == invocation.request_id
    assert response.headers["Lambda-Runtime-Deadline-Ms"] == str(deadline)
    assert response.headers["Lambda-Runtime-Invoked-Function-Arn"].endswith(":function:App")
    assert response.headers["Lambda-Runtime-Trace-Id"] == "Root=1-5e0b-abc"
    assert response.headers["Lambda-Runtime-Client-Context"] == '{"custom":{}}'
    assert "Lambda-Runtime-Cognito-Identity" not in response.headers
    with _client(api) as client:
        done = client.post(f"{BASE}/invocation/{invocation.request_id}/response", content=b'{"statusCode": 200}')
        assert done.status_code == 202 and done.json() == {"status": "OK"}
        assert invocation.done.is_set() and invocation.result == {"statusCode": 200} and invocation.error is None
        again = client.post(f"{BASE}/invocation/{invocation.request_id}/response", content=b"{}")
        assert again.status_code == 400 and again.json()["errorType"] == "InvalidRequestID"  # answered once


def test_an_error_reaches_the_caller_with_its_type(api: RuntimeApi) -> None:
    invocation = Invocation({}, int(time.time() * 1000) + 3000, "arn")
    api.submit(invocation)
    with _client(api) as client:
        request_id = client.get(f"{BASE}/invocation/next").headers["Lambda-Runtime-Aws-Request-Id"]
        body = {"errorMessage": "Unauthorized", "errorType": "Error", "stackTrace": ["at handler (index.js:2)"]}
        posted = client.post(f"{BASE}/invocation/{request_id}/error", content=json.dumps(body),
                             headers={"Lambda-Runtime-Function-Error-Type": "Unhandled"})
    assert posted.status_code == 202
    assert invocation.error is not None
    assert (invocation.error.error_type, invocation.error.message) == ("Error", "Unauthorized")


def test_an_init_error_fails_the_waiting_invocation_and_the_next_ones(api: RuntimeApi) -> None:
    waiting = Invocation({}, int(time.time() * 1000) + 3000, "arn")
    api.submit(waiting)
    with _client(api) as client:
        posted = client.post(f"{BASE}/init/error", content=json.dumps(
            {"errorType": "Runtime.ImportModuleError", "errorMessage": "Cannot find module 'index'"}))
    assert posted.status_code == 202
    assert waiting.done.is_set() and waiting.error is not None
    assert waiting.error.error_type == "Runtime.ImportModuleError"
    later = Invocation({}, int(time.time() * 1000) + 3000, "arn")
    api.submit(later)
    assert later.done.is_set() and later.error is not None and "Cannot find module" in later.error.message


def test_what_a_runtime_gets_wrong_is_answered_in_the_apis_shape(api: RuntimeApi) -> None:
    invocation = Invocation({}, int(time.time() * 1000) + 3000, "arn")
    api.submit(invocation)
    with _client(api) as client:
        assert client.get(f"{BASE}/invocation/nxt").status_code == 404
        assert client.post(f"{BASE}/invocation/x/result", content=b"{}").status_code == 404
        assert client.post(f"{BASE}/invocation/unknown-id/response", content=b"{}").json()["errorType"] == \
            "InvalidRequestID"
        request_id = client.get(f"{BASE}/invocation/next").headers["Lambda-Runtime-Aws-Request-Id"]
        too_big = client.post(f"{BASE}/invocation/{request_id}/response", content=b"x" * (MAX_RESPONSE_BYTES + 1))
        assert too_big.status_code == 413
        assert not invocation.done.is_set()  # the runtime may still answer (it reports the error itself)
        chunked = client.post(f"{BASE}/invocation/{request_id}/response", content=iter([b'{"a":', b" 1}"]))
        assert chunked.status_code == 202 and invocation.result == {"a": 1}
