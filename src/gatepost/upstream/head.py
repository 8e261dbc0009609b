"""The request head on the wire: one string built by join, checked for smuggled line breaks in one pass."""

from __future__ import annotations

import logging

from gatepost.line_breaks import only_line_ends

log = logging.getLogger("gatepost.upstream")

Headers = list[tuple[str, str]]
Lines = list[str]  # header lines already formatted: `name: value\r\n`


def lines_of(headers: Headers) -> Lines:
    return [f"{k}: {v}\r\n" for k, v in headers]


def encode_lines(method: str, target: str, host: str, lines: Lines, length: int | None) -> bytes:
    """`METHOD target HTTP/1.1`, Host, the header lines as given (`lines_of` formats name/value pairs),
    Content-Length when `length` is not None.

    A header whose name or value holds CR/LF (or is not Latin-1) is dropped and logged (name only): it
    would split the head and smuggle a header or a request to the upstream.
    """
    head = _encoded(*_join(method, target, host, lines, length))
    if head is not None:
        return head
    head = _encoded(*_join(method, target, host, _drop_unsafe(lines), length))
    if head is None:
        raise ValueError("the request line or Host holds a line break or a non-Latin-1 character")
    return head


def _join(method: str, target: str, host: str, lines: Lines, length: int | None) -> tuple[str, int]:
    """The head, and how many line breaks it must hold (two in the first part, one per header line, one for
    Content-Length, one at the end)."""
    start = f"{method} {target} HTTP/1.1\r\nhost: {host}\r\n"
    if length is None:
        return "".join([start, *lines, "\r\n"]), len(lines) + 3
    return "".join([start, *lines, f"content-length: {length}\r\n\r\n"]), len(lines) + 4


def _encoded(text: str, expected: int) -> bytes | None:
    """The bytes, when every line break is one we put there."""
    if not only_line_ends(text, expected):
        return None
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _valid(line: str) -> bool:
    text = line[:-2] if line.endswith("\r\n") else line
    if "\r" in text or "\n" in text:
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _drop_unsafe(lines: Lines) -> Lines:
    kept: Lines = []
    for line in lines:
        if _valid(line):
            kept.append(line)
        else:
            log.warning("upstream.header_dropped name=%r (line break or non-Latin-1 character)",
                        line.partition(":")[0][:64])
    return kept
