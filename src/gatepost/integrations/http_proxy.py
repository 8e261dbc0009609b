"""http: proxy to an upstream over pooled keep-alive connections, streaming the response body."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from pydantic import Field

from gatepost.config.base import StrictModel
from gatepost.errors import GatewayError, ResponseType
from gatepost.integrations.base import Integration, Outbound
from gatepost.response import Response
from gatepost.services import Services

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
})
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")


class HttpIntegrationConfig(StrictModel):
    type: Literal["http"]
    url: str = Field(description="upstream base URL; {param} and {proxy} are replaced by path parameters")
    timeout_ms: int = Field(29_000, ge=50, le=300_000)
    pass_host: bool = False  # send the client's Host instead of the upstream's


def strip_hop_by_hop(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    named = {t.strip().lower() for k, v in headers if k == "connection" for t in v.split(",")}
    return [(k, v) for k, v in headers if k not in HOP_BY_HOP and k not in named]


class HttpProxyIntegration(Integration):
    kind = "http"

    def __init__(self, config: HttpIntegrationConfig) -> None:
        self.url = config.url.rstrip("/") if not _PLACEHOLDER.search(config.url) else config.url
        self.templated = bool(_PLACEHOLDER.search(config.url))
        self.timeout = config.timeout_ms / 1000
        self.pass_host = config.pass_host
        self._session: aiohttp.ClientSession | None = None

    async def start(self, services: Services) -> None:
        self._session = services.http_client()

    def target(self, out: Outbound) -> str:
        if self.templated:
            params = out.match.path_params
            url = _PLACEHOLDER.sub(lambda m: quote(params.get(m.group(1), ""), safe="/"), self.url)
        else:
            url = self.url + out.match.raw_api_path
        qs = out.req.query_string
        return f"{url}?{qs}" if qs else url

    def upstream_headers(self, out: Outbound) -> list[tuple[str, str]]:
        req = out.req
        xff = req.header("x-forwarded-for")
        headers = [(k, v) for k, v in out.headers if not k.startswith("x-forwarded-")]
        if not self.pass_host:
            headers = [(k, v) for k, v in headers if k != "host"]
        headers.append(("x-forwarded-for", f"{xff}, {req.peer_ip}" if xff else req.peer_ip))
        headers.append(("x-forwarded-proto", req.header("x-forwarded-proto") or req.scheme))
        if req.host:
            headers.append(("x-forwarded-host", req.header("x-forwarded-host") or req.host))
        return headers

    async def send(self, out: Outbound) -> Response:
        assert self._session is not None, "integration not started"
        try:
            async with asyncio.timeout(self.timeout):
                upstream = await self._session.request(
                    out.req.method, self.target(out), headers=self.upstream_headers(out),
                    data=out.req.body or None, allow_redirects=False,
                )
        except TimeoutError:
            raise GatewayError(ResponseType.INTEGRATION_TIMEOUT, "integration.timeout") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise GatewayError(ResponseType.INTEGRATION_FAILURE, "integration.unreachable") from exc
        headers = strip_hop_by_hop(
            [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in upstream.raw_headers
             if k.lower() not in (b"date",)]
        )
        if upstream.content_length == 0 or out.req.method == "HEAD":
            upstream.release()
            return Response(upstream.status, headers)

        async def close() -> None:
            upstream.release()

        return Response(upstream.status, headers, stream=_chunks(upstream), close=close)

    def describe(self) -> dict[str, Any]:
        return {"kind": "http", "url": self.url}


async def _chunks(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    async for chunk in upstream.content.iter_any():
        yield chunk


def build(config: HttpIntegrationConfig) -> Integration:
    return HttpProxyIntegration(config)
