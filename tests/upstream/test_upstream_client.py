"""The upstream client (gatepost.upstream) against real sockets on 127.0.0.1 answering scripted bytes."""

from __future__ import annotations

import asyncio
import logging

import pytest
from scripted import Seen, answer, scripted

from gatepost.upstream import Origin, Pool, UpstreamClosed, UpstreamProtocolError, UpstreamTimeout
from gatepost.upstream.head import encode_lines, lines_of


def pool_for(url: str, **kw: float) -> Pool:
    return Pool(Origin.parse(url), **kw)  # type: ignore[arg-type]


async def get(pool: Pool, path: str = "/", method: str = "GET", body: bytes = b"", timeout: float = 5) -> tuple[
        int, list[tuple[str, str]], bytes]:
    resp = await pool.request(method, path, [("x-test", "1")], body, timeout=timeout)
    return resp.status, resp.headers, await resp.read()


async def test_content_length_body_and_connection_reuse() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(answer(200, f"answer {n}".encode()))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert await get(pool, "/a?q=1") == (200, [("content-length", "8")], b"answer 0")
        assert (await get(pool, "/b"))[2] == b"answer 1"
        assert up.connections == 1 and pool.opened == 1
        assert up.requests[0].request_line == "GET /a?q=1 HTTP/1.1"
        assert up.requests[0].header("host") == f"127.0.0.1:{up.port}"
        assert up.requests[0].header("x-test") == "1"
        await pool.close()


async def test_post_body_gets_a_content_length() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(answer(201, seen.body[::-1]))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert (await get(pool, "/p", "POST", b"abc"))[::2] == (201, b"cba")
        assert up.requests[0].header("content-length") == "3"
        big = bytes(range(256)) * 4096  # 1 MiB, written in one go
        assert (await get(pool, "/p", "PUT", big))[2] == big[::-1]
        assert (await get(pool, "/p", "POST", b""))[2] == b""
        assert up.requests[2].header("content-length") == "0"
        await pool.close()


async def test_chunked_response_is_streamed_and_reused() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n")
        await w.drain()
        await asyncio.sleep(0.05)  # the rest arrives later: the body is streamed, not complete at head time
        w.write(b"6\r\n world\r\n0\r\n\r\n")

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        resp = await pool.request("GET", "/", [], b"", timeout=5)
        assert resp.body_if_complete() is None
        assert [c async for c in resp.chunks(5)] == [b"hello", b" world"]
        assert (await get(pool))[2] == b"hello world"
        assert pool.opened == 1
        await pool.close()


async def test_close_delimited_body_ends_at_eof_and_is_not_reused() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
        await w.drain()
        w.close()

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert (await get(pool))[2] == b"until the end"
        assert (await get(pool))[2] == b"until the end"
        assert pool.opened == 2
        await pool.close()


async def test_connection_close_from_upstream_is_honoured() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(answer(200, b"bye", "connection: close\r\n"))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        await get(pool)
        await get(pool)
        assert pool.opened == 2 and up.connections == 2
        await pool.close()


async def test_head_204_304_have_no_body_and_keep_the_connection() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        if seen.request_line.startswith("HEAD"):
            w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n")
        elif "/204" in seen.request_line:
            w.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        elif "/304" in seen.request_line:
            w.write(b"HTTP/1.1 304 Not Modified\r\netag: \"x\"\r\n\r\n")
        else:
            w.write(answer(200, b"body"))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        status, headers, body = await get(pool, "/", "HEAD")
        assert (status, body, dict(headers)["content-length"]) == (200, b"", "1234")
        assert (await get(pool, "/204"))[::2] == (204, b"")
        assert (await get(pool, "/304"))[::2] == (304, b"")
        assert (await get(pool, "/"))[2] == b"body"
        assert pool.opened == 1
        await pool.close()


async def test_informational_answers_are_skipped() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n")
        w.write(answer(200, b"final"))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert await get(pool) == (200, [("content-length", "5")], b"final")
        assert (await get(pool))[2] == b"final"
        assert pool.opened == 1
        await pool.close()


async def test_switching_protocols_is_refused() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n")

    async with scripted(h) as up:
        with pytest.raises(UpstreamProtocolError):
            await get(pool_for(up.origin))


async def test_slow_upstream_times_out_and_the_connection_is_dropped() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        if n == 0 and "/slow" in seen.request_line:
            await asyncio.sleep(0.5)
        w.write(answer(200, b"late" if "/slow" in seen.request_line else b"fast"))

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        with pytest.raises(UpstreamTimeout):
            await get(pool, "/slow", timeout=0.1)
        assert pool.idle == []
        assert (await get(pool, "/fast"))[2] == b"fast"  # a fresh connection: the late answer is never read
        assert pool.opened == 2
        await pool.close()


async def test_keep_alive_race_retries_idempotent_requests_only() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        if n == 0:
            w.write(answer(200, b"first"))
        else:
            w.transport.abort()  # the upstream dropped the kept-alive connection as the request arrived

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert (await get(pool))[2] == b"first"
        assert (await get(pool))[2] == b"first"  # retried on a new connection, whose first answer it gets
        assert pool.opened == 2
        with pytest.raises(UpstreamClosed):
            await get(pool, "/", "POST", b"x")  # maybe processed: never sent twice
        assert pool.opened == 2
        await pool.close()


async def test_truncated_body_is_an_error_not_a_short_answer() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b")
        await w.drain()
        await asyncio.sleep(0.05)
        w.transport.abort()

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        resp = await pool.request("GET", "/", [], b"", timeout=5)
        with pytest.raises(UpstreamClosed):
            await resp.read()
        await pool.close()


async def test_garbage_is_a_protocol_error() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    async with scripted(h) as up:
        with pytest.raises(UpstreamProtocolError):
            await get(pool_for(up.origin))


async def test_unsolicited_bytes_on_an_idle_connection_retire_it() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(answer(200, b"one"))
        await w.drain()
        await asyncio.sleep(0.02)
        w.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra")  # an answer to nothing

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        assert (await get(pool))[2] == b"one"
        for _ in range(100):
            if not pool.idle:
                break
            await asyncio.sleep(0.01)
        assert pool.idle == []  # never handed out again: its next answer would be this stray one
        assert (await get(pool))[2] == b"one"
        assert pool.opened == 2
        await pool.close()


async def test_large_body_is_streamed_with_backpressure() -> None:
    blob = b"0123456789abcdef" * (4 * 65536)  # 4 MiB

    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        w.write(f"HTTP/1.1 200 OK\r\ncontent-length: {len(blob)}\r\n\r\n".encode())
        for i in range(0, len(blob), 65536):
            w.write(blob[i:i + 65536])
            await w.drain()

    async with scripted(h) as up:
        pool = pool_for(up.origin)
        resp = await pool.request("GET", "/", [], b"", timeout=5)
        got = bytearray()
        async for chunk in resp.chunks(5):
            got += chunk
            if len(got) < 512 * 1024:
                await asyncio.sleep(0.01)  # a slow consumer: the client stops reading instead of buffering
                assert resp._buffered <= 1024 * 1024
        assert bytes(got) == blob
        assert (await get(pool))[1] == [("content-length", str(len(blob)))]
        assert pool.opened == 1
        await pool.close()


def test_head_with_line_breaks_drops_the_header(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        head = encode_lines("GET", "/", "up", lines_of([("x-ok", "1"), ("x-evil", "a\r\nx-admin: true"),
                                                        ("x-nl", "b\nc")]), None)
    assert head == b"GET / HTTP/1.1\r\nhost: up\r\nx-ok: 1\r\n\r\n"
    assert "x-evil" in caplog.text and "x-admin" not in caplog.text
    with pytest.raises(ValueError):
        encode_lines("GET", "/\r\nx: y", "up", [], None)


async def test_unreachable_upstream_is_an_upstream_error() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    from gatepost.upstream import UpstreamError

    with pytest.raises(UpstreamError):
        await get(pool_for(f"http://127.0.0.1:{port}"))
