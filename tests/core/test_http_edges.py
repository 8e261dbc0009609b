"""Malformed and oversized HTTP, sent as raw bytes over a socket: AWS-shaped 4xx, never a traceback."""

from __future__ import annotations

import json

import pytest

from support import Upstream, raw_http, run_gateway


@pytest.fixture
def gw(upstream: Upstream):  # type: ignore[no-untyped-def]
    cfg = f"""
server:
  max_body_bytes: 1024
apis:
  shop:
    routes:
      - {{route: "ANY /echo", public: true}}
    integration: {{http: "{upstream.url}"}}
"""
    with run_gateway(cfg) as g:
        yield g


def split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


@pytest.mark.parametrize("garbage", [
    b"NOT HTTP AT ALL\r\n\r\n",
    b"GET /echo HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"GET /echo HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_malformed_requests_get_a_json_400(gw, garbage: bytes) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = split(raw_http(gw.port, garbage))
    assert status == 400
    assert json.loads(body) == {"message": "Bad Request"}
    assert headers["x-amzn-errortype"] == "BadRequestException"
    assert b"Traceback" not in body


def test_headers_over_aws_limit_get_431(gw, upstream: Upstream) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * 11_000
    status, _, body = split(raw_http(gw.port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n"))
    assert status == 431
    assert json.loads(body) == {"message": "Request Header Fields Too Large"}
    assert upstream.count == 0


def test_body_over_cap_by_content_length_gets_413(gw, upstream: Upstream) -> None:  # type: ignore[no-untyped-def]
    status, _, body = split(raw_http(gw.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"))
    assert status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert upstream.count == 0


def test_chunked_body_over_cap_gets_413(gw, upstream: Upstream) -> None:  # type: ignore[no-untyped-def]
    chunk = b"a" * 800
    data = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + (b"320\r\n" + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    status, _, body = split(raw_http(gw.port, data))
    assert status == 413
    assert json.loads(body) == {"message": "Request Too Long"}
    assert upstream.count == 0


def test_body_under_cap_is_forwarded(gw, upstream: Upstream) -> None:  # type: ignore[no-untyped-def]
    r = gw.post("/echo", data=b"z" * 1000)
    assert r.status_code == 200 and r.json()["body"] == "z" * 1000


def test_reserved_prefix_endpoints(gw) -> None:  # type: ignore[no-untyped-def]
    assert gw.get("/_gatepost/health").json()["status"] == "ok"
    assert gw.get("/_gatepost/ready").json()["status"] == "ready"
    assert gw.get("/_gatepost/nothing-here").status_code == 404
