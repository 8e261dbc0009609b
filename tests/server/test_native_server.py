"""The native server's HTTP/1.1 edges, over raw sockets to a real gateway and a real upstream."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable

import pytest
from aiohttp import web

from gatepost.server import wire
from support import RunningGateway, Upstream, run_gateway, run_upstream


def cfg(url: str, max_body: int = 1_000_000) -> str:
    return f"""
server: {{max_body_bytes: {max_body}}}
apis:
  shop:
    routes:
      - {{route: "ANY /{{proxy+}}", public: true}}
      - {{route: "GET /mock", public: true, integration: {{mock: {{status: 200, body: hi}}}}}}
    integration: {{http: "{url}"}}
"""


@pytest.fixture
def gw(upstream: Upstream):  # type: ignore[no-untyped-def]
    with run_gateway(cfg(upstream.url)) as g:
        yield g


class Conn:
    """One client connection that reads whole responses (Content-Length or chunked) off the socket."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def send(self, data: bytes) -> Conn:
        self.sock.sendall(data)
        return self

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError("closed before a response head")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        if head_only or status in (100, 204, 304):
            return status, headers, b""
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                if not self._fill():
                    raise ConnectionError("closed mid-body")
            body, self.buf = self.buf[:n], self.buf[n:]
            return status, headers, body
        if headers.get("transfer-encoding") == "chunked":
            return status, headers, self._chunked()
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return status, headers, body

    def _chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(self.buf) < size + 2:
                self._fill()
            body, self.buf = body + self.buf[:size], self.buf[size + 2:]
            if size == 0:
                return body

    def closed_by_server(self) -> bool:
        try:
            return self.buf == b"" and self.sock.recv(1) == b""
        except (ConnectionResetError, TimeoutError):
            return False

    def close(self) -> None:
        self.sock.close()


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: shop\r\n{extra}\r\n".encode()


def test_pipelined_requests_are_answered_in_order(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(get("/a") + get("/mock") + get("/b") + get("/c"))
    paths = []
    for _ in range(4):
        _, _, body = c.response()
        paths.append(body.decode() if body == b"hi" else json.loads(body)["path"])
    assert paths == ["/a", "hi", "/b", "/c"]
    c.close()


def test_keep_alive_reuses_the_client_and_the_upstream_connections(upstream: Upstream) -> None:
    with run_gateway(cfg(upstream.url)) as gw:
        c = Conn(gw.port)
        for i in range(5):
            status, headers, body = c.send(get(f"/n{i}")).response()
            assert status == 200 and json.loads(body)["path"] == f"/n{i}" and "connection" not in headers
        c.close()
        pools = list(gw.gateway.apis[0].routes[0].integration._pools.values())  # type: ignore[attr-defined]
        assert [p.opened for p in pools] == [1]
        assert "date" in headers


def test_chunked_request_body_is_forwarded_with_a_length(gw: RunningGateway) -> None:
    data = (b"POST /up HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    status, _, body = Conn(gw.port).send(data).response()
    seen = json.loads(body)
    assert status == 200 and seen["body"] == "hello world"
    assert seen["headers"]["Content-Length"] == "11" and "Transfer-Encoding" not in seen["headers"]


def test_connection_close_is_honoured(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(get("/x", "Connection: close\r\n"))
    status, headers, _ = c.response()
    assert status == 200 and headers["connection"] == "close"
    assert c.closed_by_server()


def test_http_1_0_gets_its_answer_then_the_connection_closes(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(b"GET /old HTTP/1.0\r\nHost: shop\r\n\r\n")
    status, _, body = c.response()
    assert status == 200 and json.loads(body)["path"] == "/old"
    assert c.closed_by_server()


def test_http_1_0_keep_alive_is_said_back(gw: RunningGateway) -> None:
    c = Conn(gw.port)
    for path in ("/k1", "/k2"):
        request = f"GET {path} HTTP/1.0\r\nHost: shop\r\nConnection: keep-alive\r\n\r\n".encode()
        status, headers, body = c.send(request).response()
        assert status == 200 and headers["connection"] == "keep-alive" and json.loads(body)["path"] == path


def test_streamed_answer_to_http_1_0_is_close_delimited() -> None:
    async def handler(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"p" * 100_000)
        await asyncio.sleep(0.01)
        await resp.write(b"q" * 100_000)
        await resp.write_eof()
        return resp

    with run_upstream(handler) as up, run_gateway(cfg(up.url)) as gw:
        c = Conn(gw.port).send(b"GET /s HTTP/1.0\r\nHost: shop\r\nConnection: keep-alive\r\n\r\n")
        _, headers, body = c.response()
        assert "transfer-encoding" not in headers and headers["connection"] == "close"
        assert body == b"p" * 100_000 + b"q" * 100_000


def test_half_closed_client_still_gets_every_answer(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(get("/one") + get("/two"))
    c.sock.shutdown(socket.SHUT_WR)
    assert json.loads(c.response()[2])["path"] == "/one"
    assert json.loads(c.response()[2])["path"] == "/two"
    assert c.closed_by_server()


def test_expect_100_continue(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(b"POST /e HTTP/1.1\r\nHost: shop\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    assert c.response()[0] == 100
    status, _, body = c.send(b"data").response()
    seen = json.loads(body)
    assert status == 200 and seen["body"] == "data" and "Expect" not in seen["headers"]


def test_expect_with_a_body_too_large_gets_413_without_100(upstream: Upstream) -> None:
    with run_gateway(cfg(upstream.url, max_body=10)) as gw:
        c = Conn(gw.port).send(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
        assert c.response()[0] == 413
        assert upstream.count == 0


def test_head_204_304_have_no_body_and_keep_the_connection() -> None:
    async def handler(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        if request.path == "/204":
            return web.Response(status=204)
        if request.path == "/304":
            return web.Response(status=304, headers={"etag": '"v1"'})
        return web.Response(body=b"twelve bytes")

    with run_upstream(handler) as up, run_gateway(cfg(up.url)) as gw:
        c = Conn(gw.port)
        status, headers, _ = c.send(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n").response(head_only=True)
        assert status == 200 and headers["content-length"] == "12"
        status, headers, _ = c.send(get("/204")).response()
        assert status == 204 and "content-length" not in headers
        status, headers, _ = c.send(get("/304")).response()
        assert status == 304 and headers["etag"] == '"v1"'
        assert c.send(get("/after")).response()[2] == b"twelve bytes"  # framing intact after all three
        assert c.buf == b""


def test_chunked_upstream_answer_is_relayed_chunked() -> None:
    async def handler(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for part in (b"a" * 70_000, b"b" * 70_000):
            await resp.write(part)
            await asyncio.sleep(0.01)
        await resp.write_eof()
        return resp

    with run_upstream(handler) as up, run_gateway(cfg(up.url)) as gw:
        c = Conn(gw.port)
        _, headers, body = c.send(get("/s")).response()
        assert headers["transfer-encoding"] == "chunked" and body == b"a" * 70_000 + b"b" * 70_000
        assert c.send(get("/again")).response()[2] == body  # and the connection is still usable


def test_large_request_body_under_the_cap(upstream: Upstream) -> None:
    with run_gateway(cfg(upstream.url, max_body=3_000_000)) as gw:
        blob = b"z" * 2_500_000
        c = Conn(gw.port).send(f"PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: {len(blob)}\r\n\r\n".encode() + blob)
        assert json.loads(c.response()[2])["body"] == blob.decode()


def test_upstream_failing_mid_body_truncates_the_answer_and_closes() -> None:
    async def handler(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"content-length": "1000000"})
        await resp.prepare(request)
        await resp.write(b"x" * 300_000)
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.abort()
        return resp

    with run_upstream(handler) as up, run_gateway(cfg(up.url)) as gw:
        c = Conn(gw.port).send(get("/cut"))
        with pytest.raises(ConnectionError):
            c.response()
        assert Conn(gw.port).send(get("/mock")).response()[2] == b"hi"  # the gateway carries on


def test_client_leaving_mid_stream_releases_the_upstream() -> None:
    sent = {"done": False, "ended": False}

    async def handler(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for _ in range(2000):
                await resp.write(b"y" * 65536)
            sent["done"] = True
        except (ConnectionError, RuntimeError):
            pass
        finally:
            sent["ended"] = True
        return resp

    with run_upstream(handler) as up, run_gateway(cfg(up.url)) as gw:
        c = Conn(gw.port).send(get("/endless"))
        c.sock.recv(1000)
        c.close()  # 128 MiB would follow: the gateway must drop the upstream, not buffer it
        wait_for(lambda: sent["ended"])
        assert not sent["done"]
        assert Conn(gw.port).send(get("/mock")).response()[2] == b"hi"


def test_valid_then_malformed_pipelined_requests(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(get("/fine") + b"BROKEN\r\n\r\n")
    assert json.loads(c.response()[2])["path"] == "/fine"
    status, headers, body = c.response()
    assert (status, headers["x-amzn-errortype"], json.loads(body)) == (400, "BadRequestException",
                                                                       {"message": "Bad Request"})
    assert c.closed_by_server()


def test_slowly_sent_request_is_assembled(gw: RunningGateway) -> None:
    c = Conn(gw.port)
    for byte in get("/drip"):
        c.sock.send(bytes([byte]))
    assert json.loads(c.response()[2])["path"] == "/drip"


def test_absolute_form_target_and_query(gw: RunningGateway) -> None:
    c = Conn(gw.port).send(b"GET http://shop/abs/p?x=1&y=%20 HTTP/1.1\r\nHost: shop\r\n\r\n")
    seen = json.loads(c.response()[2])
    assert seen["raw_path"] == "/abs/p?x=1&y=%20"


def test_response_header_with_a_line_break_is_dropped() -> None:
    head = wire.encode_head(200, [("x-ok", "1"), ("x-bad", "v\r\nset-cookie: owned=1")], "content-length: 0\r\n")
    assert b"x-ok: 1\r\n" in head and b"owned" not in head and head.endswith(b"content-length: 0\r\n\r\n")


def test_graceful_stop_finishes_the_request_in_flight() -> None:
    async def slow(request: web.Request, seen: dict[str, object]) -> web.StreamResponse:
        await asyncio.sleep(0.5)
        return web.Response(text="finished")

    with run_upstream(slow) as up:
        with run_gateway(cfg(up.url)) as gw:
            idle = Conn(gw.port)
            idle.send(get("/mock")).response()
            busy = Conn(gw.port).send(get("/slow"))
            wait_for(lambda: up.count == 1)  # the request is at the upstream
        # leaving run_gateway stopped the server: the busy connection got its answer, then closed
        status, headers, body = busy.response()
        assert (status, body, headers["connection"]) == (200, b"finished", "close")
        assert idle.closed_by_server()


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
