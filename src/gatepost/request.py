"""GatewayRequest: the immutable view of one incoming request that every pipeline stage reads."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

if TYPE_CHECKING:
    from gatepost.tracing.context import RequestTrace


class GatewayRequest:
    """One request as received. Header names are lower-case; `body` is already capped by the server.

    `path` is the decoded canonical path (canonical_path.py; no stage: URLs are custom-domain style);
    `raw_path` is the same path with the client's percent-encoding (SigV4 verifies against it, the
    upstream receives it). `raw_headers` is the header
    section as the server read it (bytes, the client's casing), kept only for `client_names`: every
    lookup uses the lower-case `headers`.
    """

    __slots__ = (
        "_client_names",
        "_cookies",
        "_query",
        "_raw_headers",
        "body",
        "header_map",
        "headers",
        "host",
        "method",
        "path",
        "peer_ip",
        "query_string",
        "raw_path",
        "received_at",
        "request_id",
        "scheme",
        "server_port",
        "source_ip",
        "trace",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        raw_path: str | None = None,
        query_string: str = "",
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
        peer_ip: str | None = None,
        scheme: str = "http",
        request_id: str = "",
        received_at: float = 0.0,
        raw_headers: Sequence[tuple[bytes, bytes]] | None = None,
        host: str | None = None,
        server_port: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.raw_path = raw_path if raw_path is not None else path
        self.query_string = query_string
        self.headers = headers
        self.header_map: dict[str, str] = dict(headers)  # last value wins, as REST's single-value map
        self.body = body
        self.source_ip = source_ip  # the caller: the socket peer, or X-Forwarded-For behind a trusted proxy
        self.peer_ip = peer_ip or source_ip  # the socket peer
        self.scheme = scheme
        self.server_port = server_port or ("443" if scheme == "https" else "80")  # the port the client reached
        self.host = host if host is not None else self.header_map.get("host", "")
        self.request_id = request_id
        self.received_at = received_at
        self._query: list[tuple[str, str]] | None = None
        self._cookies: list[str] | None = None
        self._raw_headers = raw_headers
        self._client_names: dict[str, str] | None = None  # on first use: see client_names
        self.trace: RequestTrace | None = None  # set by the server when tracing is on (tracing/tracer.py)

    def header(self, name: str) -> str | None:
        """The value of a header (name case-insensitive); the last one when repeated."""
        return self.header_map.get(name.lower())

    @property
    def client_names(self) -> dict[str, str]:
        """Lower-case header name -> the name as the client first spelled it (`X-Custom-Header`).

        Computed on first use from `raw_headers` (only REST's payload 1.0 events ask); empty when the
        server did not keep them.
        """
        names = self._client_names
        if names is not None:
            return names
        names = {}
        for raw, _ in self._raw_headers or ():
            text = raw.decode("latin-1")
            lower = text.lower()
            if lower not in names:  # the first spelling seen
                names[lower] = text
        self._client_names = names
        return names

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k == lname]

    @property
    def query(self) -> list[tuple[str, str]]:
        """Query parameters in order, decoded, blank values kept (names are case-sensitive)."""
        if self._query is None:
            self._query = parse_query(self.query_string)
        return self._query

    def query_values(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    def query_param(self, name: str) -> str | None:
        """The last value of a query parameter, as REST's queryStringParameters keeps it."""
        values = self.query_values(name)
        return values[-1] if values else None

    @property
    def cookies(self) -> list[str]:
        if self._cookies is None:
            self._cookies = [
                c.strip() for v in self.header_values("cookie") for c in v.split(";") if c.strip()
            ]
        return self._cookies

    @property
    def user_agent(self) -> str:
        return self.header_map.get("user-agent", "")


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """`parse_qsl(query_string, keep_blank_values=True)`; a query with nothing to decode (no `%`, no `+`:
    the usual case, and every SigV4-signed one botocore sends) is split directly, without parse_qsl's
    per-field coercion and unquoting (tests/perf/test_query_parsing.py: the same pairs)."""
    if "%" in query_string or "+" in query_string:
        return parse_qsl(query_string, keep_blank_values=True)
    return [(name, value) for name, _, value in (field.partition("=") for field in query_string.split("&") if field)]


def decode_path(raw_path: str) -> str:
    return unquote(raw_path)


def flavour_request_id(request_id: str, flavour: str) -> str:
    """The request id in each flavour's AWS format: REST a UUID (the gateway's own request id, as in its
    access log); HTTP APIs a short base64 id like "JKJaXmPLvHcESHA=" (11 bytes derived from that UUID).
    REST answers carry it in `x-amzn-RequestId`, HTTP APIs in `apigw-requestid`."""
    if flavour == "rest":
        return request_id
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()[:11]).decode("ascii")
