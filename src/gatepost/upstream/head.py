"""The request head on the wire: one string built by join, checked for smuggled line breaks in one pass."""

from __future__ import annotations

import logging

log = logging.getLogger("gatepost.upstream")

Headers = list[tuple[str, str]]


def encode_head(method: str, target: str, host: str, headers: Headers, length: int | None) -> bytes:
    """`METHOD target HTTP/1.1`, Host, the headers as given, Content-Length when `length` is not None.

    A header whose name or value holds CR/LF (or is not Latin-1) is dropped and logged (name only): it
    would split the head and smuggle a header or a request to the upstream.
    """
    head = _encoded(*_join(method, target, host, headers, length))
    if head is not None:
        return head
    head = _encoded(*_join(method, target, host, _drop_unsafe(headers), length))
    if head is None:
        raise ValueError("the request line or Host holds a line break or a non-Latin-1 character")
    return head


def _join(method: str, target: str, host: str, headers: Headers, length: int | None) -> tuple[str, int]:
    """The head, and how many line breaks it must hold."""
    lines = [f"{method} {target} HTTP/1.1\r\nhost: {host}\r\n"]
    lines += [f"{k}: {v}\r\n" for k, v in headers]
    if length is not None:
        lines.append(f"content-length: {length}\r\n")
    lines.append("\r\n")
    return "".join(lines), len(lines) + 1  # the first item holds two lines


def _encoded(text: str, expected: int) -> bytes | None:
    """The bytes, when every line break is one we put there."""
    if text.count("\n") != expected or text.count("\r") != expected:
        return None
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _valid(name: str, value: str) -> bool:
    text = name + value
    if "\r" in text or "\n" in text:
        return False
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _drop_unsafe(headers: Headers) -> Headers:
    kept: Headers = []
    for k, v in headers:
        if _valid(k, v):
            kept.append((k, v))
        else:
            log.warning("upstream.header_dropped name=%r (line break or non-Latin-1 character)", k[:64])
    return kept
