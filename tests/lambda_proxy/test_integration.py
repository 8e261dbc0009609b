"""The `lambda` integration behind a real gateway: events in, AWS's response rules out, failures per
flavour, isolation (threads and processes), loading once, and secrets kept out of the log."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gatepost.bootstrap import build_gateway
from gatepost.errors import ConfigError
from gatepost.stores.memory import MemoryCatalog
from lambda_proxy import handlers  # the same module object the gateway imports for "lambda_proxy.handlers:..."
from support import RunningGateway, run_gateway

HERE = Path(__file__).parent


def api(flavour: str, routes: str, *, extra: str = "", stage: str = "") -> str:
    stage_line = f"    stage: {stage}\n" if stage else ""
    return f"""
apis:
  shop:
    flavour: {flavour}
    api_id: shop123
{stage_line}    routes:
{routes}
{extra}"""


REST_ROUTES = """\
      - {route: "GET /echo/{id}", public: true, integration: {lambda: "handlers:echo"}}
      - {route: "POST /echo/{id}", public: true, integration: {lambda: "handlers:echo"}}
      - {route: "GET /async", public: true, integration: {lambda: "handlers:async_echo"}}
      - {route: "GET /callable", public: true, integration: {lambda: "handlers:callable_object"}}
      - {route: "GET /boom", public: true, integration: {lambda: "handlers:boom"}}
      - {route: "GET /malformed", public: true, integration: {lambda: "handlers:malformed"}}
      - {route: "GET /multi", public: true, integration: {lambda: "handlers:multi"}}
      - {route: "GET /binary", public: true, integration: {lambda: "handlers:binary"}}
      - {route: "GET /held", public: true,
         integration: {type: lambda, handler: "lambda_proxy.handlers:held", timeout_ms: 300}}
      - {route: "GET /fast", public: true, integration: {mock: {status: 200, body: "fast"}}}"""

HTTP_ROUTES = """\
      - {route: "GET /echo/{id}", public: true, integration: {lambda: "handlers:echo"}}
      - {route: "GET /v1/echo/{id}", public: true,
         integration: {type: lambda, handler: "handlers:echo", payload_format_version: "1.0"}}
      - {route: "GET /shapes", public: true, integration: {lambda: "handlers:shapes"}}
      - {route: "GET /binary", public: true, integration: {lambda: "handlers:binary"}}
      - {route: "GET /boom", public: true, integration: {lambda: "handlers:boom"}}
      - {route: "GET /malformed", public: true, integration: {lambda: "handlers:malformed"}}
      - {route: "GET /held", public: true,
         integration: {type: lambda, handler: "lambda_proxy.handlers:held", timeout_ms: 300}}"""


@pytest.fixture(scope="module")
def rest() -> Iterator[RunningGateway]:
    with run_gateway(api("rest", REST_ROUTES, stage="prod"), config_dir=HERE) as gw:
        yield gw


@pytest.fixture(scope="module")
def http() -> Iterator[RunningGateway]:
    with run_gateway(api("http", HTTP_ROUTES), config_dir=HERE) as gw:
        yield gw


@pytest.fixture(autouse=True)
def _gate() -> Iterator[None]:
    handlers.GATE.clear()
    handlers.ENTERED.clear()
    yield
    handlers.GATE.set()  # never leave a handler thread blocked


# -- events in ------------------------------------------------------------------------------------------

def test_rest_handler_receives_the_rest_event(rest: RunningGateway) -> None:
    r = rest.post("/echo/42?x=1&x=2", data=b'{"a": 1}', headers={"content-type": "application/json",
                                                                 "x-gatepost-principal-id": "forged"})
    assert r.status_code == 200, r.text
    assert r.headers["x-handler"] == "echo" and r.headers["x-amzn-requestid"]
    event = r.json()["event"]
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/echo/{id}", "/echo/42", "POST")
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["path"] == "/prod/echo/42"
    assert event["requestContext"]["requestId"] == r.headers["x-amzn-requestid"]
    assert "x-gatepost-principal-id" not in event["headers"]  # a client cannot forge identity
    assert "authorizer" not in event["requestContext"]  # public route


def test_context_object(rest: RunningGateway) -> None:
    ctx = rest.get("/echo/1").json()["context"]
    assert ctx["function_name"] == "handlers-echo"
    assert ctx["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:handlers-echo"
    assert 0 < ctx["remaining_ms"] <= 29_000
    assert len(ctx["aws_request_id"]) == 36


def test_handler_is_loaded_once(rest: RunningGateway) -> None:
    loads = {rest.get(f"/echo/{i}").json()["loads"] for i in range(5)}
    assert loads == {1}


def test_http_v2_event_and_v1_option(http: RunningGateway) -> None:
    r = http.get("/echo/9?tag=a&tag=b", headers={"cookie": "s=1; t=2"})
    assert r.status_code == 200 and r.headers["apigw-requestid"]
    event = r.json()["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "GET /echo/{id}"
    assert event["queryStringParameters"] == {"tag": "a,b"} and event["cookies"] == ["s=1", "t=2"]
    assert event["rawPath"] == "/echo/9" and event["requestContext"]["stage"] == "$default"
    v1 = http.get("/v1/echo/3").json()["event"]
    assert v1["version"] == "1.0" and v1["resource"] == "/v1/echo/{id}" and "multiValueHeaders" in v1


def test_async_and_callable_object_handlers(rest: RunningGateway) -> None:
    r = rest.get("/async")
    assert (r.status_code, r.json()) == (201, {"path": "/async", "async": True})
    assert rest.get("/callable").text == "callable object"


def test_binary_request_body_is_base64_by_binary_media_types() -> None:
    routes = """\
      - {route: "POST /up", public: true,
         integration: {type: lambda, handler: "handlers:echo", binary_media_types: ["image/*"]}}"""
    with run_gateway(api("rest", routes), config_dir=HERE) as gw:
        event = gw.post("/up", data=handlers.PNG, headers={"content-type": "image/png"}).json()["event"]
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == handlers.PNG
        event = gw.post("/up", data=b"hi", headers={"content-type": "text/plain"}).json()["event"]
        assert (event["isBase64Encoded"], event["body"]) == (False, "hi")


# -- responses out ---------------------------------------------------------------------------------------

def test_rest_multi_value_headers_merge(rest: RunningGateway) -> None:
    r = rest.get("/multi")
    assert r.status_code == 200 and r.text == "ok"
    assert r.headers["content-type"] == "application/json"  # REST's default when the handler sets none
    assert r.headers["x-single"] == "one"
    # one merged list per name (AWS); the pair given in both appears once
    assert r.raw.headers.getlist("x-both") == ["from-headers", "m1", "m2"]
    assert r.raw.headers.getlist("x-twice") == ["same", "other"]
    assert r.raw.headers.getlist("set-cookie") == ["a=1", "b=2"]
    names = set(r.raw.headers.keys())
    assert {"X-Single", "X-Both", "Set-Cookie"} <= names  # REST keeps the handler's spelling
    assert "Content-Length" not in names or r.raw.headers["Content-Length"] == "2"  # the gateway frames it


def test_binary_response_is_decoded_when_accept_matches_binary_media_types() -> None:
    routes = """\
      - {route: "GET /binary", public: true, integration: {lambda: "handlers:binary"}}"""
    with run_gateway(api("rest", routes, extra="    binary_media_types: [image/png]"), config_dir=HERE) as gw:
        r = gw.get("/binary", headers={"accept": "image/png"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == handlers.PNG
        text = gw.get("/binary", headers={"accept": "text/html, image/png"})  # first Accept type only (AWS)
        assert text.content == base64.b64encode(handlers.PNG)


def test_http_api_decodes_base64_answers_whatever_the_accept(http: RunningGateway) -> None:
    r = http.get("/binary", headers={"accept": "text/html"})
    assert r.status_code == 200 and r.content == handlers.PNG


@pytest.mark.parametrize(("kind", "status", "ctype", "body"), [
    ("dict", 200, "application/json", b'{"message":"hello","n":1}'),
    ("string", 200, "application/json", b"Hello from Lambda!"),
    ("list", 200, "application/json", b'[1,"two"]'),
    ("none", 200, "application/json", b"null"),
    ("full", 202, None, b"accepted"),
])
def test_http_v2_response_rules(http: RunningGateway, kind: str, status: int, ctype: str | None,
                                body: bytes) -> None:
    r = http.get(f"/shapes?kind={kind}")
    assert r.status_code == status and r.content == body
    if ctype:
        assert r.headers["content-type"] == ctype
    if kind == "full":
        assert (r.headers["x-one"], r.headers["x-num"], r.headers["x-many"]) == ("1", "5", "a, b")
        assert r.raw.headers.getlist("set-cookie") == ["s=1; Path=/", "t=2"]


# -- failures, per flavour ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["no_status", "bad_status", "dict_body", "extra_key", "bad_b64", "list",
                                  "bad_header"])
def test_rest_malformed_output_is_502(rest: RunningGateway, kind: str) -> None:
    r = rest.get(f"/malformed?kind={kind}")
    assert r.status_code == 502
    assert r.json() == {"message": "Internal server error"}
    assert r.headers["x-amzn-errortype"] == "InternalServerErrorException"


def test_http_malformed_output_is_500(http: RunningGateway) -> None:
    r = http.get("/malformed?kind=bad_status")
    assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error"})


def test_handler_exception_traceback_to_log_not_client(rest: RunningGateway, http: RunningGateway,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="gatepost.integrations.lambda"):
        r = rest.get("/boom", headers={"authorization": "Bearer sekret-token-value", "x-api-key": "k-live-123"})
        h = http.get("/boom")
    assert (r.status_code, r.json()) == (502, {"message": "Internal server error"})
    assert (h.status_code, h.json()) == (500, {"message": "Internal Server Error"})
    assert "exploded" not in r.text and "Traceback" not in r.text
    logged = caplog.text
    assert "Traceback" in logged and "RuntimeError: handler exploded" in logged and "handlers.py" in logged
    assert "sekret-token-value" not in logged and "k-live-123" not in logged


def test_timeout_per_flavour_and_other_routes_keep_answering(rest: RunningGateway, http: RunningGateway) -> None:
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(rest.get, "/held")
        assert handlers.ENTERED.wait(5)
        fast = rest.get("/fast")  # the event loop is free while a handler is busy
        assert (fast.status_code, fast.text) == (200, "fast")
        r = slow.result(10)
    assert (r.status_code, r.json()) == (504, {"message": "Endpoint request timed out"})
    handlers.GATE.set()
    handlers.ENTERED.clear()
    handlers.GATE.clear()
    h = http.get("/held")
    assert (h.status_code, h.json()) == (503, {"message": "Service Unavailable"})
    handlers.GATE.set()


def test_slow_handler_does_not_stall_other_lambda_routes(rest: RunningGateway) -> None:
    with ThreadPoolExecutor(4) as pool:
        held = [pool.submit(rest.get, "/held") for _ in range(2)]
        assert handlers.ENTERED.wait(5)
        assert rest.get("/echo/5").status_code == 200  # another handler, while /held is running
        handlers.GATE.set()
        assert {f.result(10).status_code for f in held} <= {200, 504}


def test_bounded_pool_refuses_when_saturated() -> None:
    routes = """\
      - {route: "GET /held", public: true,
         integration: {type: lambda, handler: "lambda_proxy.handlers:held", concurrency: 1, max_waiting: 4,
                       timeout_ms: 9000}}"""
    with run_gateway(api("rest", routes), config_dir=HERE) as gw, ThreadPoolExecutor(8) as pool:
        integration = gw.gateway.apis[0].routes[0].integration
        first = pool.submit(gw.get, "/held")
        assert handlers.ENTERED.wait(5)
        waiting = [pool.submit(gw.get, "/held") for _ in range(4)]  # max_waiting: 4 may wait
        deadline = time.monotonic() + 5
        while integration._pool._slots.waiting < 4 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)  # until the 4 callers are queued (a condition, not a delay)
        refused = gw.get("/held")  # the 6th call finds the queue full: refused at once
        handlers.GATE.set()
        assert (refused.status_code, refused.json()) == (429, {"message": "Too Many Requests"})
        assert first.result(10).status_code == 200
        assert all(f.result(10).status_code == 200 for f in waiting)


# -- processes ---------------------------------------------------------------------------------------------

def test_process_isolation_survives_a_crash() -> None:
    routes = """\
      - {route: "GET /crash", public: true,
         integration: {type: lambda, handler: "handlers:crash", isolation: processes, concurrency: 1}}"""
    import os
    with run_gateway(api("http", routes), config_dir=HERE) as gw:
        ok = gw.get("/crash")
        assert ok.status_code == 200 and ok.json()["pid"] != os.getpid()
        dead = gw.get("/crash?die=1")
        assert (dead.status_code, dead.json()) == (500, {"message": "Internal Server Error"})
        again = gw.get("/crash")  # a new pool replaced the broken one
        assert again.status_code == 200 and again.json()["pid"] != ok.json()["pid"]


# -- config ------------------------------------------------------------------------------------------------

def _compile(text: str) -> None:
    build_gateway(text=text, catalog=MemoryCatalog(), config_dir=HERE)


@pytest.mark.parametrize(("integration", "problem"), [
    ('{lambda: "handlers:nope"}', "has no attribute 'nope'"),
    ('{lambda: "no_such_module_xyz:handler"}', "not found next to the config"),
    ('{lambda: "handlers"}', "module:function"),
    ('{type: lambda, handler: "handlers:echo", payload_format_version: "2.0"}', "always send payload format 1.0"),
])
def test_config_errors_are_located(integration: str, problem: str) -> None:
    routes = f'      - {{route: "GET /x", public: true, integration: {integration}}}'
    with pytest.raises(ConfigError) as err:
        _compile(api("rest", routes))
    text = str(err.value)
    assert "apis.shop.routes[0].integration: " in text and problem in text


def test_default_integration_problem_is_reported_even_when_unused() -> None:
    with pytest.raises(ConfigError, match=r"apis\.shop\.integration: handler 'handlers:nope'"):
        _compile(api("rest", '      - {route: "GET /x", public: true, integration: {mock: {status: 200}}}',
                     extra='    integration: {lambda: "handlers:nope"}'))


def test_default_integration_is_shared_and_loaded_once() -> None:
    text = api("http", '      - {route: "GET /a", public: true}\n      - {route: "GET /b", public: true}',
               extra='    integration: {lambda: "handlers:pid"}')
    with run_gateway(text, config_dir=HERE) as gw:
        a, b = gw.get("/a").json(), gw.get("/b").json()
        assert a == b and a["loads"] == 1


def test_concurrent_requests_all_answer(rest: RunningGateway) -> None:
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: rest.get(f"/echo/{i}"), range(64)))
    assert all(r.status_code == 200 for r in results)
    assert sorted(int(r.json()["event"]["pathParameters"]["id"]) for r in results) == list(range(64))




def test_request_id_in_each_flavours_format_matches_the_answer_header(rest: RunningGateway,
                                                                     http: RunningGateway) -> None:
    import re

    r = rest.get("/echo/1")
    rest_id = r.json()["event"]["requestContext"]["requestId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", rest_id)
    assert r.headers["x-amzn-requestid"] == rest_id
    h = http.get("/echo/1")
    http_id = h.json()["event"]["requestContext"]["requestId"]
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", http_id)  # like AWS's "JKJaXmPLvHcESHA="
    assert h.headers["apigw-requestid"] == http_id
    failed = http.get("/boom")  # the gateway's own answers too: apigw-requestid, in the HTTP API format
    assert failed.status_code == 500 and re.fullmatch(r"[A-Za-z0-9+/]{15}=", failed.headers["apigw-requestid"])
    assert "x-amzn-requestid" not in failed.headers


def test_event_headers_carry_what_api_gateway_adds(rest: RunningGateway, http: RunningGateway) -> None:
    sent = {"X-Forwarded-For": "6.6.6.6", "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09aaaa79d18acf3d050"}
    headers = rest.get("/echo/1", headers=sent).json()["event"]["headers"]
    assert headers["X-Forwarded-For"] == "127.0.0.1"  # the caller as the gateway saw it, never the client's claim
    assert (headers["X-Forwarded-Proto"], headers["X-Forwarded-Port"]) == ("http", str(rest.port))
    assert headers["X-Amzn-Trace-Id"] == sent["X-Amzn-Trace-Id"]  # a valid trace id from the client is kept
    v2 = http.get("/echo/1").json()["event"]["headers"]
    assert v2["x-forwarded-for"] == "127.0.0.1" and v2["x-forwarded-port"] == str(http.port)
    assert v2["x-amzn-trace-id"].startswith("Root=1-")
