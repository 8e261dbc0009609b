"""http: proxy to an upstream over pooled keep-alive connections (gatepost.upstream), streaming big bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from mypy_extensions import mypyc_attr

from gatepost.errors import GatewayError, ResponseType
from gatepost.integrations.base import Integration
from gatepost.integrations.http_config import HttpIntegrationConfig
from gatepost.integrations.outbound import Outbound
from gatepost.response import Response
from gatepost.services import Services
from gatepost.upstream import Origin, Pool, UpstreamError, UpstreamResponse, UpstreamTimeout

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
})
# never copied from the client: Host and Content-Length are set for the upstream, the body is already read
_NOT_FORWARDED = frozenset({"host", "content-length", "expect"})
_NOT_RELAYED = HOP_BY_HOP | {"date"}  # from the upstream's answer; the gateway sets its own Date
_PLAIN_CONNECTION = frozenset({"keep-alive", "close", "Keep-Alive", "Close"})  # list no other header
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")
_FORWARDED: dict[str, bool] = {}  # header name -> copied to the upstream (memo of _forwarded, bounded)


def _forwarded(name: str) -> bool:
    """Whether the upstream gets a client's (or identity) header of this name: not Host, Content-Length or
    Expect, nor an X-Forwarded-* (the gateway sets its own below)."""
    ok = name not in _NOT_FORWARDED and not name.startswith("x-forwarded-")
    if len(_FORWARDED) < 4096:
        _FORWARDED[name] = ok
    return ok


def _filled(url: str, params: Mapping[str, str]) -> str:
    """The URL with its {param} placeholders replaced by the route's path parameters, percent-encoded."""
    return _PLACEHOLDER.sub(lambda m: quote(params.get(m.group(1), ""), safe="/"), url)


def strip_hop_by_hop(headers: list[tuple[str, str]], drop: frozenset[str] = HOP_BY_HOP) -> list[tuple[str, str]]:
    """Without the names in `drop` (hop-by-hop headers by default), nor those `Connection` lists."""
    if "connection" not in drop:  # a Connection header itself is kept: the general form
        named = {t.strip().lower() for k, v in headers if k == "connection" for t in v.split(",")}
        return [(k, v) for k, v in headers if k not in drop and k not in named]
    kept = [(k, v) for k, v in headers if k not in drop]
    if len(kept) == len(headers):  # nothing dropped, so there is no Connection header: one pass
        return kept
    listed = {t.strip().lower() for k, v in headers if k == "connection" for t in v.split(",")} - drop
    return [(k, v) for k, v in kept if k not in listed] if listed else kept


def relayed(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An upstream answer's headers as the client gets them: without hop-by-hop ones, Date, nor those its
    `Connection` lists. One pass in the usual case (`Connection: keep-alive` or `close` lists nothing else);
    names are lower-case (upstream/connection.py)."""
    kept = []
    listed: set[str] | None = None
    for k, v in headers:
        if k in _NOT_RELAYED:
            if k == "connection" and v not in _PLAIN_CONNECTION:
                tokens = {t.strip().lower() for t in v.split(",")} - _NOT_RELAYED
                if tokens:
                    listed = tokens if listed is None else listed | tokens
            continue
        kept.append((k, v))
    if listed:
        return [(k, v) for k, v in kept if k not in listed]
    return kept


def _split(url: str) -> tuple[Origin, str]:
    """The origin and the path prefix (no trailing slash) of an absolute URL."""
    parts = urlsplit(url)
    return Origin.parse(url), parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


# a Python class (its methods compiled): tracing wraps an integration's `send` on the instance (tracing/instrument.py)
@mypyc_attr(native_class=False)
class HttpProxyIntegration(Integration):
    kind = "http"

    def __init__(self, config: HttpIntegrationConfig) -> None:
        self.templated = bool(_PLACEHOLDER.search(config.url))
        self.url = config.url if self.templated else config.url.rstrip("/")
        self.timeout = config.timeout_ms / 1000
        self.pass_host = config.pass_host
        self._pools: dict[Origin, Pool] = {}
        self._origin: Origin | None = None
        self._fixed: Pool | None = None  # the one pool of a URL without placeholders (no lookup per request)
        self._prefix = ""
        if not self.templated:
            self._origin, self._prefix = _split(self.url)

    async def start(self, services: Services) -> None:
        if self._origin is not None:
            self._fixed = self._pool(self._origin)

    async def close(self) -> None:
        pools, self._pools, self._fixed = self._pools, {}, None
        for pool in pools.values():
            await pool.close()

    def _pool(self, origin: Origin) -> Pool:
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = Pool(origin)
        return pool

    def target(self, out: Outbound) -> tuple[Origin, str]:
        """Where the request goes: the origin, and the request target (path and query)."""
        if self.templated:
            origin, path = _split(_filled(self.url, out.match.path_params))
            path = path or "/"
        else:
            assert self._origin is not None
            origin, path = self._origin, self._prefix + out.match.raw_api_path
        qs = out.req.query_string
        return origin, (f"{path}&{qs}" if "?" in path else f"{path}?{qs}") if qs else path

    def upstream_lines(self, out: Outbound) -> list[str]:
        """The client's headers, then X-Forwarded-For/-Proto/-Port/-Host set by the gateway, as AWS does: a
        client's own X-Forwarded-* reached this far only from a trusted proxy (request_head.py). Formatted as
        the head's lines in the same pass (`name: value\r\n`; upstream/head.py checks them for line breaks)."""
        req = out.req
        get = req.header_map.get
        xff = get("x-forwarded-for")
        known = _FORWARDED.get
        lines = [f"{k}: {v}\r\n" for k, v in out.headers if known(k) or (k not in _FORWARDED and _forwarded(k))]
        lines.append(f"x-forwarded-for: {xff}, {req.peer_ip}\r\n" if xff else f"x-forwarded-for: {req.peer_ip}\r\n")
        lines.append(f"x-forwarded-proto: {get('x-forwarded-proto') or req.scheme}\r\n")
        lines.append(f"x-forwarded-port: {get('x-forwarded-port') or req.server_port}\r\n")
        if req.host:
            lines.append(f"x-forwarded-host: {get('x-forwarded-host') or req.host}\r\n")
        return lines

    async def send(self, out: Outbound) -> Response:
        req = out.req
        origin, target = self.target(out)
        host = req.host if self.pass_host and req.host else None
        pool = self._fixed if self._fixed is not None and origin is self._origin else self._pool(origin)
        try:
            up = await pool.request_lines(req.method, target, self.upstream_lines(out), req.body,
                                          timeout=self.timeout, host=host)
        except UpstreamTimeout:
            raise GatewayError(ResponseType.INTEGRATION_TIMEOUT, "integration.timeout") from None
        except UpstreamError as exc:
            raise GatewayError(ResponseType.INTEGRATION_FAILURE, exc.reason) from exc
        except ValueError as exc:  # a target or Host that cannot go on the wire
            raise GatewayError(ResponseType.INTEGRATION_FAILURE, "integration.bad_request_line") from exc
        headers = relayed(up.headers)
        body = up.body_if_complete()
        if body is not None:
            return Response(up.status, headers, body)
        return _streamed(up, headers, self.timeout)

    def describe(self) -> dict[str, Any]:
        return {"kind": "http", "url": self.url}


def _streamed(up: UpstreamResponse, headers: list[tuple[str, str]], idle_timeout: float) -> Response:
    async def close() -> None:
        up.close()

    return Response(up.status, headers, stream=up.chunks(idle_timeout), close=close)


def build(config: HttpIntegrationConfig) -> Integration:
    return HttpProxyIntegration(config)
