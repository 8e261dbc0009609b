"""The response head as the native server writes it (server/wire.py): a header that would split the head is
dropped and logged, framing headers are the server's own, Date is the current second's, and a HEAD answer's
Content-Length is used only when it is ASCII digits (native.py)."""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.server.native import _content_length
from gatepost.server.wire import encode_head


def lines(head: bytes) -> list[str]:
    assert head.endswith(b"\r\n\r\n")
    return head[:-4].decode("latin-1").split("\r\n")


def test_the_response_headers_then_date_then_the_servers_framing() -> None:
    head = encode_head(200, [("server", "up/1"), ("Content-Length", "99"), ("Connection", "close"),
                             ("x-Custom", "a")], "content-length: 2\r\n")
    got = lines(head)
    assert got[0] == "HTTP/1.1 200 OK"
    assert got[1:3] == ["server: up/1", "x-Custom: a"]  # framing headers of any case are the server's to write
    assert got[3].startswith("date: ") and got[4:] == ["content-length: 2"]
    stamp = parsedate_to_datetime(got[3][len("date: "):]).timestamp()
    assert abs(stamp - time.time()) < 5


def test_a_header_with_a_line_break_or_outside_latin_1_is_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        head = encode_head(502, [("x-ok", "1"), ("x-evil", "a\r\nset-cookie: s=1"), ("x-cr", "b\rc"),
                                 ("x-lf", "d\ne"), ("x-wide", "\u2028"), ("x-also-ok", "2")], "")
    got = lines(head)
    assert got[0] == "HTTP/1.1 502 Bad Gateway"
    assert got[1:3] == ["x-ok: 1", "x-also-ok: 2"] and got[3].startswith("date: ") and len(got) == 4
    for name in ("x-evil", "x-cr", "x-lf", "x-wide"):
        assert name in caplog.text
    assert "set-cookie" not in caplog.text


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=6))
def test_no_header_can_add_a_line_to_the_head(headers: list[tuple[str, str]]) -> None:
    head = encode_head(200, headers, "content-length: 0\r\n")
    kept = [(k, v) for k, v in headers if k.lower() not in {"content-length", "transfer-encoding", "connection",
                                                            "date", "keep-alive"}]
    got = lines(head)
    assert len(got) <= 1 + len(kept) + 2  # status, at most the kept headers, date, framing
    assert b"\r" not in head.replace(b"\r\n", b"") and b"\n" not in head.replace(b"\r\n", b"")


@pytest.mark.parametrize(("value", "expected"), [("12", "12"), (" 7 ", "7"), ("\u0663", None), ("\u00b2", None),
                                                 ("1e3", None), ("", None)])
def test_a_head_answers_content_length_is_used_only_when_it_is_ascii_digits(value: str, expected: str | None) -> None:
    assert _content_length([("x", "y"), ("Content-Length", value)]) == expected
