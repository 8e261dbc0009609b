"""URI encoding as SigV4 defines it for services other than S3.

- path: dot segments removed, runs of `/` collapsed, then every byte except unreserved characters
  (`A-Z a-z 0-9 - _ . ~`) and `/` percent-encoded. Applied to the path *as sent* (already
  percent-encoded once by the client), this is AWS's double encoding: `%2F` -> `%252F`.
- query: each name and value decoded once, re-encoded (unreserved kept), pairs sorted by name then value.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote

UNRESERVED = "-_.~"
_PLAIN = re.compile(r"[A-Za-z0-9\-_.~]*")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-_.~/]*")


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    if (_PLAIN_PATH if keep_slash else _PLAIN).fullmatch(text):
        return text  # nothing to encode (the common case): skip quote()'s per-character work
    return quote(text, safe=UNRESERVED + ("/" if keep_slash else ""))


def normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal plus collapsing of empty segments; keeps a trailing slash."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    normalized = "/" + "/".join(out)
    if out and (path.endswith("/") or path.endswith("/.") or path.endswith("/..")):
        normalized += "/"
    return normalized


@lru_cache(maxsize=4096)
def canonical_uri(path: str) -> str:
    """Cached: a route's paths repeat, and the result depends on the path alone."""
    return uri_encode(normalize_path(path), keep_slash=True)


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decoded (name, value) pairs of a raw query string, in order; `+` is a literal plus."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)
