"""Slow and greedy clients against the native server, over real sockets: the head deadline, the idle
deadline (bodies, a client not reading, keep-alive), 431 as soon as a head passes `max_header_bytes`
(counted as bytes arrive) or `max_header_fields`, and the connection cap with back-pressure on accept.

Deadlines are set short here (`head_timeout: 1`) so nothing sleeps long; the bounds asserted are generous
(the machine is shared): they tell "closed by the deadline" from "never closed".
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatepost.observe.access_log import AccessLog
from support import RunningGateway, run_gateway

ROUTES = """
apis:
  t:
    routes:
      - {route: "ANY /ok", public: true, integration: {mock: {status: 200, body: ok}}}
"""
HEAD = b"GET /ok HTTP/1.1\r\nHost: x\r\n"
REQUEST = HEAD + b"\r\n"
NEVER = 15.0  # a connection still open this long after its deadline was not closed by it


def config(**server: object) -> str:
    settings = ", ".join(f"{k}: {v}" for k, v in {"access_log": '"off"', **server}.items())
    return f"server: {{{settings}}}\n{ROUTES}"


@pytest.fixture
def gw() -> Iterator[RunningGateway]:
    with run_gateway(config(head_timeout=1, idle_timeout=1, max_header_bytes=4096, max_header_fields=20)) as g:
        yield g


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=NEVER)


def read_until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes (a reset counts as closed)."""
    chunks = []
    try:
        while chunk := s.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def asked_within_never(port: int) -> None:
    """A new client's request answered 200, before NEVER."""
    started = time.monotonic()
    with connect(port) as s:
        s.sendall(REQUEST)
        assert status_of(s.recv(65536)) == 200
    assert time.monotonic() - started < NEVER


def test_a_head_trickling_in_is_cut_at_head_timeout(gw: RunningGateway) -> None:
    """One byte every 0.2 s: the idle gaps are short, but the whole head must be in within head_timeout."""
    with connect(gw.port) as s:
        started = time.monotonic()
        s.sendall(b"GET /ok HTTP/1.1\r\n")
        closed = False
        for _ in range(int(NEVER / 0.2)):
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except ConnectionResetError:
                closed = True
                break
        assert closed and time.monotonic() - started < NEVER


def test_a_connection_that_sends_nothing_is_closed(gw: RunningGateway) -> None:
    with connect(gw.port) as s:
        started = time.monotonic()
        assert read_until_closed(s) == b""
        assert 0.5 < time.monotonic() - started < NEVER


def test_a_stalled_body_is_cut_at_idle_timeout(gw: RunningGateway) -> None:
    with connect(gw.port) as s:
        s.sendall(b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        started = time.monotonic()
        assert read_until_closed(s) == b""
        assert time.monotonic() - started < NEVER


def test_a_slow_body_within_the_idle_deadline_is_served(gw: RunningGateway) -> None:
    """The body's deadline is per pause, not per body: 6 bytes 0.3 s apart (1.8 s in all, idle_timeout 1)."""
    with connect(gw.port) as s:
        s.sendall(b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
        for byte in b"abcdef":
            time.sleep(0.3)
            s.sendall(bytes([byte]))
        assert status_of(s.recv(65536)) == 200


def test_an_idle_kept_alive_connection_is_closed(gw: RunningGateway) -> None:
    with connect(gw.port) as s:
        s.sendall(REQUEST)
        answer = s.recv(65536)
        assert status_of(answer) == 200 and b"connection: close" not in answer.lower()
        started = time.monotonic()
        assert read_until_closed(s) == b""
        assert 0.5 < time.monotonic() - started < NEVER


def test_an_endless_header_gets_431_at_the_cap_not_at_its_end(gw: RunningGateway) -> None:
    """The value never ends; the answer comes once 4,096 bytes (the cap here) are in."""
    with connect(gw.port) as s:
        s.sendall(HEAD + b"X-Big: ")
        sent = 0
        s.settimeout(0.05)
        answer = b""
        while sent < 1_000_000 and not answer:
            try:
                s.sendall(b"y" * 1024)
                sent += 1024
                answer = s.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        s.settimeout(NEVER)
        answer += read_until_closed(s) if answer else b""
        assert status_of(answer) == 431, answer[:200]
        assert b'"Request Header Fields Too Large"' in answer
        assert sent < 200_000  # answered near the cap, not after a megabyte


def test_a_head_just_under_the_cap_is_served_and_just_over_is_431(gw: RunningGateway) -> None:
    filler = 4096 - len(HEAD) - len(b"X-Pad: \r\n\r\n")
    for extra, want in ((0, 200), (1, 431)):
        with connect(gw.port) as s:
            s.sendall(HEAD + b"X-Pad: " + b"p" * (filler + extra) + b"\r\n\r\n")
            assert status_of(s.recv(65536)) == want


def test_a_head_and_a_body_in_one_read_are_not_counted_as_head(gw: RunningGateway) -> None:
    """A small head followed in the same packet by a body larger than max_header_bytes is fine."""
    body = b"b" * 8000
    with connect(gw.port) as s:
        s.sendall(b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 8000\r\n\r\n" + body + REQUEST)
        answers = b""
        while answers.count(b"HTTP/1.1 200") < 2:
            chunk = s.recv(65536)
            assert chunk, answers
            answers += chunk


@pytest.mark.parametrize(("fields", "want"), [(19, 200), (21, 431)])
def test_header_field_cap(gw: RunningGateway, fields: int, want: int) -> None:
    """Host plus `fields` others: 20 in all is the cap here."""
    extra = b"".join(b"X-F%d: v\r\n" % i for i in range(fields))
    with connect(gw.port) as s:
        s.sendall(HEAD + extra + b"\r\n")
        assert status_of(s.recv(65536)) == want


def test_a_client_that_does_not_read_its_answer_is_dropped() -> None:
    """Answers the client never reads: the server stops answering once its writes stall (nothing piles up
    in memory), waits idle_timeout for the client to read, then aborts."""
    cfg = config(idle_timeout=1).replace("body: ok", 'body: "' + "z" * 60_000 + '"')
    with run_gateway(cfg) as g, connect(g.port) as s:
        # The client's receive buffer as the kernel sizes it: shrunk to a few KB after the connect, it clamped
        # the window, and reading back the MB the buffers held took over a minute.
        s.sendall(REQUEST * 400)  # 400 answers of 60 KB: far more than the socket buffers hold
        time.sleep(3)  # not reading: the server's writes stall, then its deadline passes
        got = read_until_closed(s)
        assert len(got) < 100 * 60_000  # what the socket buffers held, not all 24 MB


def test_at_the_connection_cap_new_clients_wait_then_are_served() -> None:
    """max_connections 8: eight silent connections hold every place; a ninth client's connect completes in the
    kernel's backlog and is answered once the silent ones are closed by the head deadline."""
    with run_gateway(config(head_timeout=1, max_connections=8)) as g:
        holders = [connect(g.port) for _ in range(8)]
        try:
            time.sleep(0.2)
            asked_within_never(g.port)
        finally:
            for h in holders:
                h.close()


def test_at_the_cap_idle_kept_alive_connections_make_room() -> None:
    """Eight kept-alive connections, each idle after one answer, fill the cap; a ninth client is answered at
    once (one idle connection is closed for it), long before their 60 s idle deadline."""
    with run_gateway(config(head_timeout=60, idle_timeout=60, max_connections=8)) as g:
        idle = [connect(g.port) for _ in range(8)]
        try:
            for s in idle:
                s.sendall(REQUEST)
                assert status_of(s.recv(65536)) == 200
            asked_within_never(g.port)
        finally:
            for s in idle:
                s.close()


def test_heads_refused_while_read_have_their_access_log_line(tmp_path: Path) -> None:
    """431, 413 and a malformed head never reach the app, but each leaves a line: status, reason, peer."""
    log_file = tmp_path / "access.log"
    log = AccessLog(str(log_file), interval=0.01)
    cfg = config(max_header_bytes=4096, max_header_fields=20, max_body_bytes=1000).replace('access_log: "off", ', "")
    with run_gateway(cfg, access_log=log) as g:
        for raw in (HEAD + b"X-Pad: " + b"p" * 5000 + b"\r\n\r\n",
                    b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
                    b"GET /ok HTTP/1.1\r\nHost x\r\n\r\n",
                    REQUEST):
            with connect(g.port) as s:
                s.sendall(raw)
                read_until_closed(s) if raw != REQUEST else s.recv(65536)
    log.close()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    refused = [(r["status"], r["reason"]) for r in lines if r.get("stage") == "head"]
    assert refused == [(431, "request.headers_too_large"), (413, "request.body_too_large"), (400, "request.malformed")]
    assert all(r["source_ip"] == "127.0.0.1" and r["method"] is None and r["request_id"] for r in lines[:3])
    assert [r["status"] for r in lines if "stage" not in r] == [200]
