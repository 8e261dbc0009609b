"""What the server hands a request to: the client's address, the reserved `/_gatepost/` endpoints, then the
pipeline. The pipeline knows nothing of the server (server/native.py builds the GatewayRequest)."""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable

from gatepost.closing import close_all
from gatepost.federation.endpoints import mount as mount_identity
from gatepost.gateway import Gateway
from gatepost.idp.endpoints import mount as mount_idp
from gatepost.observe.access_log import AccessLog, record
from gatepost.observe.integration_counts import ENDPOINT as CALLS_ENDPOINT
from gatepost.observe.integration_counts import IntegrationCalls
from gatepost.pipeline import Exchange, serve
from gatepost.request import GatewayRequest
from gatepost.request_head import HeadReader
from gatepost.response import Response, json_response

log = logging.getLogger("gatepost.server")
RESERVED = "/_gatepost/"


class GatewayApp:
    def __init__(self, gateway: Gateway, access_log: AccessLog | None = None) -> None:
        self.gw = gateway
        server = gateway.config.server
        self.max_body = server.max_body_bytes
        self.max_header = server.max_header_bytes
        self.head = head_reader(gateway)
        self.access_log = access_log or AccessLog(server.access_log)
        self.ready = False
        self.config_version = ""  # server/config_version.py's label of the config serving (server/reload.py)
        self._served_by: dict[object, str] = {}  # the replaced gateway's APIs -> its label (requests in flight)
        self.internal: dict[str, Callable[[GatewayRequest], Awaitable[Response]]] = {
            "health": self._health, "ready": self._ready,
        }
        self.calls = IntegrationCalls(gateway)
        self.internal[CALLS_ENDPOINT] = self.calls.handle
        mount_idp(self.internal, gateway)  # idp/endpoints.py: /_gatepost/idp when the config has user_pools
        mount_identity(self.internal, gateway)  # federation/: /_gatepost/cognito-identity for identity_pools

    async def startup(self) -> None:
        await self.gw.start()
        await self.calls.start()
        self.ready = True

    async def shutdown(self) -> None:
        """Every close step runs (a failing one is logged, closing.py); the access log is flushed first (the
        drained requests' lines on disk before any step can fail or hang) and closed last, whatever happened."""
        self.ready = False
        self.access_log.flush()
        try:
            await close_all([("integration_calls", self.calls.stop), ("gateway", self.gw.close)])
        finally:
            self.access_log.close()

    def handle(self, req: GatewayRequest) -> Awaitable[tuple[Response, Exchange | None]]:
        """A request whose size was already checked: a reserved endpoint, or the pipeline. A plain call
        handing back the awaitable (the pipeline's own coroutine): one coroutine less per request."""
        if req.path.startswith(RESERVED):
            return self._reserved(req)
        if self.gw.tracer is not None:
            return self._traced(req)
        return serve(self.gw, req)

    async def _traced(self, req: GatewayRequest) -> tuple[Response, Exchange | None]:
        """The pipeline inside the request's trace (tracing/): a trusted caller's, or a new one."""
        gw = self.gw
        tracer = gw.tracer
        assert tracer is not None
        req.trace = trace = tracer.begin(req, self.head.trusts(req.peer_ip))
        response, ex = await serve(gw, req)
        tracer.end(trace, ex)
        return response, ex

    async def _reserved(self, req: GatewayRequest) -> tuple[Response, Exchange | None]:
        return await self._internal(req), None

    def log(self, ex: Exchange | None, started: float) -> None:
        if ex is not None and self.access_log.enabled:
            rec = record(ex, time.perf_counter() - started, ex.req.received_at)
            rec["config"] = self._served_by.get(ex.api, self.config_version) if self._served_by else \
                self.config_version
            self.access_log.write(rec)

    def adopt(self, fresh: GatewayApp, version: str) -> None:
        """A live reload: `fresh` (built for the new gateway) serves every connection's next request."""
        self._served_by = {api: self.config_version for api in self.gw.apis}
        self.gw, self.calls, self.internal, self.head = fresh.gw, fresh.calls, fresh.internal, fresh.head
        self.config_version = fresh.config_version = version  # (fresh's handlers answer /_gatepost/ from now on)

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
        return json_response(200, {"status": "ok", "pid": os.getpid(), "config": self.config_version})

    async def _ready(self, req: GatewayRequest) -> Response:
        if not self.ready:
            return json_response(503, {"status": "starting"})
        return json_response(200, {"status": "ready", "apis": [a.name for a in self.gw.apis]})


def head_reader(gateway: Gateway) -> HeadReader:
    """The request-head rules of this gateway: its identity prefix, trusted proxies and credential names."""
    names = {n for api in gateway.apis for a in api.authorizers.values() for n in a.credential_names()}
    return HeadReader(
        gateway.propagation_prefix,
        credential_headers=[name for where, name in names if where == "header"],
        credential_query=[name for where, name in names if where == "query"],
        trusted=[ipaddress.ip_network(n, strict=False) for n in gateway.config.server.trusted_proxies],
    )
