"""Response heads on the wire for the native server: cached status lines, a Date refreshed once a second,
and one check that no header smuggles a line break (a Lambda or a config could hand us one)."""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from http import HTTPStatus

import orjson

log = logging.getLogger("gatepost.server")

Headers = list[tuple[str, str]]

# set by the server itself, never copied from a Response
FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "date", "keep-alive"})
NO_BODY_STATUS = frozenset({204, 304})

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_STATUS_LINES: dict[int, str] = {}


def status_line(status: int) -> str:
    line = _STATUS_LINES.get(status)
    if line is None:
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
    return line


class DateHeader:
    """`date: ...` for the current second (RFC 9110 section 6.6.1), formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._line = ""

    def line(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = f"date: {formatdate(now, usegmt=True)}\r\n"
        return self._line


DATE = DateHeader()


def encode_head(status: int, headers: Headers, framing: str) -> bytes:
    """Status line, the response's own headers (framing ones dropped), Date, then `framing` (already
    CRLF-terminated lines: content-length / transfer-encoding / connection)."""
    lines = [status_line(status)]
    lines += [f"{k}: {v}\r\n" for k, v in headers if k.lower() not in FRAMING]
    lines.append(DATE.line())
    lines.append(framing)
    lines.append("\r\n")
    text = "".join(lines)
    expected = len(lines) - 2 + framing.count("\n") + 1
    if text.count("\n") == expected and text.count("\r") == expected:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            pass
    return encode_head(status, _drop_unsafe(headers), framing)


def _drop_unsafe(headers: Headers) -> Headers:
    kept: Headers = []
    for k, v in headers:
        text = k + v
        if "\r" in text or "\n" in text or not _latin1(text):
            log.warning("server.header_dropped name=%r (line break or non-Latin-1 character)", k[:64])
        else:
            kept.append((k, v))
    return kept


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


BAD_REQUEST_BODY = orjson.dumps({"message": "Bad Request"})


def bad_request() -> bytes:
    """The answer to bytes that are not HTTP/1.1: AWS's JSON shape, then the connection closes."""
    return encode_head(400, [("content-type", "application/json"), ("x-amzn-errortype", "BadRequestException")],
                       f"content-length: {len(BAD_REQUEST_BODY)}\r\nconnection: close\r\n") + BAD_REQUEST_BODY


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
