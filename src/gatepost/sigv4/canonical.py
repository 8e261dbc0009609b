"""The canonical request and the string to sign (SigV4, "Create a canonical request" / "string to sign")."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from gatepost.sigv4.encoding import canonical_query, canonical_uri, query_pairs

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_SPACES = re.compile(r"\s+")


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def _trimmed(value: str) -> str:
    value = value.strip()
    # printable and no double space: no whitespace but single ASCII spaces, nothing to collapse (the usual case)
    return value if value.isprintable() and "  " not in value else _SPACES.sub(" ", value)


def header_value(values: list[str]) -> str:
    """Values of one header: each trimmed, inner whitespace runs collapsed, joined with commas in order."""
    return _trimmed(values[0]) if len(values) == 1 else ",".join(_trimmed(v) for v in values)


def canonical_headers(headers: Iterable[tuple[str, str]], signed: tuple[str, ...]) -> str:
    wanted = set(signed)
    found: dict[str, list[str]] = {}
    for name, value in headers:
        lname = name.lower()
        if lname in wanted:
            found.setdefault(lname, []).append(value)
    return "".join(f"{name}:{header_value(found.get(name, []))}\n" for name in signed)


def canonical_request(method: str, path: str, query: str | list[tuple[str, str]],
                      headers: Iterable[tuple[str, str]], signed_headers: tuple[str, ...], body_hash: str) -> str:
    """`path` as sent (percent-encoded, or raw text as in the AWS test suite); `query` raw or as decoded pairs.
    `signed_headers` lower-case and sorted."""
    pairs = query_pairs(query) if isinstance(query, str) else query
    return "\n".join((
        method.upper(),
        canonical_uri(path),
        canonical_query(pairs),
        canonical_headers(headers, signed_headers),
        ";".join(signed_headers),
        body_hash,
    ))


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()))
