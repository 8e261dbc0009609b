"""Where a bearer token is read from: one header or one query parameter, `Bearer ` prefix optional.

Written `header.authorization` / `query.access_token`; AWS's spellings are accepted too
(`$request.header.Authorization`, `method.request.header.Authorization`, `...querystring.NAME`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatepost.request import GatewayRequest

_PREFIXES: tuple[str, ...] = ("$request.", "method.request.")
_LOCATIONS = {"header": "header", "query": "query", "querystring": "query"}


@dataclass(frozen=True)
class TokenSource:
    location: str  # header | query
    name: str  # lower-case for headers; as written for query parameters (case-sensitive)

    def read(self, req: GatewayRequest) -> str | None:
        raw = req.header_map.get(self.name) if self.location == "header" else req.query_param(self.name)
        if raw is None:
            return None
        raw = raw.strip()
        if raw[:7].lower() == "bearer ":
            raw = raw[7:].lstrip()
        return raw or None

    def __str__(self) -> str:
        return f"{self.location}.{self.name}"


def parse_token_source(text: str) -> TokenSource:
    spec = text.strip()
    for prefix in _PREFIXES:
        if spec.startswith(prefix):
            spec = spec[len(prefix):]
    where, _, name = spec.partition(".")
    location = _LOCATIONS.get(where.lower())
    if location is None or not name:
        raise ValueError(f"identity_source {text!r} must be header.NAME or query.NAME (e.g. header.authorization)")
    return TokenSource(location, name.lower() if location == "header" else name)
