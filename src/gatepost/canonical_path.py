"""The canonical request path: the one form that is routed, authorized, signed (SigV4) and forwarded.

A request path reaches an upstream that may normalise it (nginx, most frameworks: percent-decode once,
merge `//`, resolve `.` and `..`). If the gateway routed the path as sent while the upstream served its
normalised form, `/public/..%2fadmin` would be authorized as a public route and served as `/admin`. So
the path is made canonical once, here, before anything looks at it, and the canonical form is both what
the router sees and what the upstream receives. A path whose meaning depends on who reads it is refused
with 400 instead. The rules, applied to each `/`-separated segment of the path as sent:

| in the segment (as sent, or once percent-decoded) | treatment |
|---|---|
| `%` not followed by two hex digits | 400 (`path.bad_escape`) |
| invalid UTF-8 once decoded, or a control character (`%00`-`%1f`, `%7f`) | 400 (`path.bad_character`) |
| `%2f` (an encoded `/`), `\\` or `%5c` (a separator on Windows and in WHATWG URLs) | 400 (`path.encoded_separator`) |
| `;` or `%3b` (path parameters: Tomcat and Spring drop `;...` before routing, `..;` climbs) | 400 (`path.parameter`) |
| `%` followed by two hex digits once decoded (double encoding: `%252e`) | 400 (`path.double_encoded`) |
| empty (`//`) | removed: `/a//b` is `/a/b` (nginx's `merge_slashes`) |
| `.` or `..` in any spelling (`%2e`, `.%2E`, ...) | removed by RFC 3986 section 5.2.4 (`..` drops the one before) |
| anything else | kept, as the client encoded it |

A trailing `/` is kept (`/a/` and `/a` match the same route; the upstream sees which one was asked). Case is
kept: paths are case-sensitive, as on AWS. The canonical path is a fixed point of RFC 3986 normalisation:
decoding it once and resolving dot segments gives back the decoded canonical path, so every normalising
upstream serves the resource the gateway authorized.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

_HEX = frozenset("0123456789abcdefABCDEF")
_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))
_DOTS = frozenset({".", ".."})


class PathRejected(ValueError):
    """A path whose meaning depends on who reads it; `reason` is the log's reason code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def canonical(raw_path: str) -> tuple[str, str]:
    """(decoded path, raw path) of a request path as sent (percent-encoded, no query), both canonical.

    Raises PathRejected for what must be refused (see the module's table)."""
    if (raw_path[:1] == "/" and "%" not in raw_path and "/." not in raw_path and "//" not in raw_path
            and "\\" not in raw_path and ";" not in raw_path):
        return raw_path, raw_path  # nothing to decode, merge or resolve: already canonical
    return _resolve(raw_path)


def _resolve(raw_path: str) -> tuple[str, str]:
    if raw_path[:1] != "/":
        raise PathRejected("path.not_absolute")  # `*`, or an absolute-form target without a path
    raws: list[str] = []
    decoded: list[str] = []
    segments = raw_path.split("/")
    for seg in segments[1:]:
        text = _decode(seg)
        if text == "" or text == ".":
            continue
        if text == "..":
            if raws:
                raws.pop()
                decoded.pop()
            continue
        raws.append(seg)
        decoded.append(text)
    last = _decode(segments[-1]) if len(segments) > 1 else ""
    slash = "/" if decoded and (last == "" or last in _DOTS) else ""
    return "/" + "/".join(decoded) + slash, "/" + "/".join(raws) + slash


def _decode(seg: str) -> str:
    """One segment, percent-decoded once; PathRejected when it is ambiguous."""
    if "\\" in seg:
        raise PathRejected("path.encoded_separator")
    if ";" in seg:
        raise PathRejected("path.parameter")
    if "%" not in seg:
        return seg
    _check_escapes(seg)
    try:
        text = unquote_to_bytes(seg).decode("utf-8")
    except UnicodeDecodeError:
        raise PathRejected("path.bad_character") from None
    if "/" in text or "\\" in text:
        raise PathRejected("path.encoded_separator")
    if ";" in text:
        raise PathRejected("path.parameter")
    if any(c in _CONTROL for c in text):
        raise PathRejected("path.bad_character")
    if "%" in text and _has_escape(text):
        raise PathRejected("path.double_encoded")
    return text


def _check_escapes(seg: str) -> None:
    i = seg.find("%")
    while i >= 0:
        if len(seg) < i + 3 or seg[i + 1] not in _HEX or seg[i + 2] not in _HEX:
            raise PathRejected("path.bad_escape")
        i = seg.find("%", i + 3)


def _has_escape(text: str) -> bool:
    i = text.find("%")
    while i >= 0:
        if len(text) >= i + 3 and text[i + 1] in _HEX and text[i + 2] in _HEX:
            return True
        i = text.find("%", i + 1)
    return False


def strip_segments(raw_path: str, count: int) -> str:
    """A canonical raw path without its first `count` segments (an API's base path), starting with "/".

    Raw and decoded segments correspond one to one in a canonical path, so the base path is removed by
    segments, never by characters (`/%761/x` under the base path `/v1` is `/x`)."""
    if count == 0:
        return raw_path
    rest = raw_path.split("/", count + 1)
    return "/" + rest[count + 1] if len(rest) > count + 1 else "/"
