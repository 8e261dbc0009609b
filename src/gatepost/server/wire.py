"""Response heads on the wire for the native server: cached status lines, a Date formatted once a second,
and one check that no header smuggles a line break (a Lambda or a config could hand us one)."""

from __future__ import annotations

import logging
from email.utils import formatdate
from http import HTTPStatus
from time import time

import orjson

from gatepost.line_breaks import only_line_ends
from gatepost.per_second import PerSecondText

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


def _date_line(second: int) -> str:
    """`date: ...` for `second` (RFC 9110 section 6.6.1)."""
    return f"date: {formatdate(second, usegmt=True)}\r\n"


DATE = PerSecondText(_date_line)
_RELAYED: dict[str, bool] = {}  # header name as given -> not a framing header (memo of _relayed, bounded)


def _relayed(name: str) -> bool:
    ok = name.lower() not in FRAMING
    if len(_RELAYED) < 4096:
        _RELAYED[name] = ok
    return ok


def encode_head(status: int, headers: Headers, framing: str) -> bytes:
    """Status line, the response's own headers (framing ones dropped), Date, then `framing` (already
    CRLF-terminated lines the server wrote itself: content-length / transfer-encoding / connection).

    Every CR and LF of the text before `framing` must be one of its line ends: a header holding one (or a
    character outside Latin-1) is dropped and logged instead (_drop_unsafe)."""
    lines = [_STATUS_LINES.get(status) or status_line(status)]
    known = _RELAYED.get
    lines += [f"{k}: {v}\r\n" for k, v in headers if known(k) or (k not in _RELAYED and _relayed(k))]
    now = time()
    lines.append(DATE.at(now))
    text = "".join(lines)
    if only_line_ends(text, len(lines)):
        try:
            return (text + framing + "\r\n").encode("latin-1")
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
