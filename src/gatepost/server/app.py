"""The ASGI app: request limits, client address, the reserved `/_gatepost/` endpoints, then the pipeline.

The pipeline knows nothing of ASGI: this module turns a scope into a GatewayRequest and a Response
back into ASGI messages, so a leaner server can replace uvicorn without touching the pipeline.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

from gatepost.errors import GatewayError, ResponseType
from gatepost.federation.endpoints import mount as mount_identity
from gatepost.gateway import Gateway
from gatepost.idp.endpoints import mount as mount_idp
from gatepost.observe.access_log import AccessLog, record
from gatepost.observe.integration_counts import ENDPOINT as CALLS_ENDPOINT
from gatepost.observe.integration_counts import IntegrationCalls
from gatepost.pipeline import NO_API_RESPONSES, Exchange, serve
from gatepost.request import GatewayRequest
from gatepost.response import Response, json_response
from gatepost.server.ids import new_request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("gatepost.server")
RESERVED = "/_gatepost/"


class BodyTooLarge(Exception):
    pass


class GatewayApp:
    def __init__(self, gateway: Gateway, access_log: AccessLog | None = None) -> None:
        self.gw = gateway
        server = gateway.config.server
        self.max_body = server.max_body_bytes
        self.max_header = server.max_header_bytes
        self.trusted = tuple(ipaddress.ip_network(n, strict=False) for n in server.trusted_proxies)
        self.access_log = access_log or AccessLog(server.access_log)
        self.ready = False
        self.internal: dict[str, Callable[[GatewayRequest], Awaitable[Response]]] = {
            "health": self._health, "ready": self._ready,
        }
        self.calls = IntegrationCalls(gateway)
        self.internal[CALLS_ENDPOINT] = self.calls.handle
        mount_idp(self.internal, gateway)  # idp/endpoints.py: /_gatepost/idp when the config has user_pools
        mount_identity(self.internal, gateway)  # federation/: /_gatepost/cognito-identity for identity_pools

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def startup(self) -> None:
        await self.gw.start()
        await self.calls.start()
        self.ready = True

    async def shutdown(self) -> None:
        self.ready = False
        await self.calls.stop()
        await self.gw.close()
        self.access_log.close()

    def handle(self, req: GatewayRequest) -> Awaitable[tuple[Response, Exchange | None]]:
        """A request whose size was already checked: a reserved endpoint, or the pipeline. A plain call
        handing back the awaitable (the pipeline's own coroutine): one coroutine less per request."""
        if req.path.startswith(RESERVED):
            return self._reserved(req)
        return serve(self.gw, req)

    async def _reserved(self, req: GatewayRequest) -> tuple[Response, Exchange | None]:
        return await self._internal(req), None

    def log(self, ex: Exchange | None, started: float) -> None:
        if ex is not None and self.access_log.enabled:
            self.access_log.write(record(ex, time.perf_counter() - started, ex.req.received_at))

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                    await send({"type": "lifespan.startup.complete"})
                except Exception as exc:
                    log.exception("gateway.start_failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        req = self.request(scope)
        if req.path.startswith(RESERVED):
            if self._check_size(scope) is None:  # internal endpoints may read a body (the built-in user pool)
                with contextlib.suppress(BodyTooLarge):
                    req.body = await self._body(scope, receive)
            await self._send(send, await self._internal(req))
            return
        error = self._check_size(scope)
        if error is None:
            try:
                req.body = await self._body(scope, receive)
            except BodyTooLarge:
                error = GatewayError(ResponseType.REQUEST_TOO_LARGE, "request.body_too_large")
        if error is not None:
            response = NO_API_RESPONSES.render(error, req)
            response.headers.append(("connection", "close"))
            await self._send(send, response)
            return
        response, ex = await serve(self.gw, req)
        try:
            await self._send(send, response)
        finally:
            if self.access_log.enabled:
                self.access_log.write(record(ex, time.perf_counter() - started, req.received_at))

    def request(self, scope: Scope) -> GatewayRequest:
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        peer = scope["client"][0] if scope.get("client") else "127.0.0.1"
        source, headers = self.source(peer, headers)
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]
        return GatewayRequest(
            method=scope["method"], path=unquote(raw_path) if raw else scope["path"], raw_path=raw_path,
            query_string=scope["query_string"].decode("latin-1"), headers=headers, source_ip=source,
            peer_ip=peer, scheme=scope.get("scheme", "http"), request_id=new_request_id(),
            received_at=time.time(),
        )

    def source(self, peer: str, headers: tuple[tuple[str, str], ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The caller's address: X-Forwarded-For is believed only from a trusted proxy, else dropped."""
        if not self.trusted or not self._is_trusted(peer):
            for k, _ in headers:
                if k.startswith("x-forwarded-"):
                    return peer, tuple([(k, v) for k, v in headers if not k.startswith("x-forwarded-")])
            return peer, headers
        chain = [a.strip() for k, v in headers if k == "x-forwarded-for" for a in v.split(",") if a.strip()]
        for addr in reversed(chain):
            if not self._is_trusted(addr):
                return addr, headers
        return (chain[0] if chain else peer), headers

    def _is_trusted(self, addr: str) -> bool:
        if not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def _check_size(self, scope: Scope) -> GatewayError | None:
        size = len(scope.get("raw_path") or b"") + len(scope["query_string"]) + 16
        size += sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        if size > self.max_header:
            return GatewayError(ResponseType.REQUEST_HEADER_FIELDS_TOO_LARGE, "request.headers_too_large")
        for k, v in scope["headers"]:
            if k == b"content-length" and (not v.isdigit() or int(v) > self.max_body):
                return GatewayError(ResponseType.REQUEST_TOO_LARGE, "request.body_too_large") if v.isdigit() \
                    else GatewayError(ResponseType.BAD_REQUEST_BODY, "request.bad_content_length", "Bad Request")
        return None

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > self.max_body:
                    raise BodyTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _send(self, send: Send, response: Response) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        try:
            if response.stream is None:
                if not any(k == b"content-length" for k, _ in headers):
                    headers.append((b"content-length", str(len(response.body)).encode()))
                await send({"type": "http.response.start", "status": response.status, "headers": headers})
                await send({"type": "http.response.body", "body": response.body})
                return
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            async for chunk in response.stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            if response.close is not None:
                await response.close()

    async def _internal(self, req: GatewayRequest) -> Response:
        name = req.path[len(RESERVED):].strip("/")
        handler = self.internal.get(name)
        if handler is None:
            for prefix, h in self.internal.items():
                if prefix.endswith("/") and name.startswith(prefix):
                    handler = h
                    break
        if handler is None:
            return json_response(404, {"message": "Not Found"})
        return await handler(req)

    async def _health(self, req: GatewayRequest) -> Response:
        return json_response(200, {"status": "ok", "pid": os.getpid()})

    async def _ready(self, req: GatewayRequest) -> Response:
        if not self.ready:
            return json_response(503, {"status": "starting"})
        return json_response(200, {"status": "ready", "apis": [a.name for a in self.gw.apis]})


def is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


def create_app() -> GatewayApp:
    """Factory for uvicorn workers: the config path comes from GATEPOST_CONFIG."""
    from gatepost.bootstrap import build_gateway

    path = os.environ["GATEPOST_CONFIG"]
    workers = int(os.environ.get("GATEPOST_WORKERS", "1"))
    return GatewayApp(build_gateway(path, workers=workers))
