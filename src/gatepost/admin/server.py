"""The admin port's HTTP server (aiohttp: not the request path). One per worker; with several workers
they share the port (SO_REUSEPORT) and each answers for all (observe/metrics.py sums the workers).

    GET /healthz                   200 (no credentials: for probes)
    GET /metrics                   Prometheus text format          gatepost:GetMetrics
    GET /admin/routes              explain's rows, as JSON          gatepost:GetRoutes
    GET /admin/map                 the route map page (route_map.py)  gatepost:GetRouteMap
    GET /admin/openapi.json        this API, described              gatepost:GetOpenApi
    ... /admin/...                 keys, plans, usage, IAM, pools, users, cache flush (admin/registry.py)
    POST /admin/reload             admin/reload.py                  gatepost:ReloadConfig
    POST /admin/config/validate    admin/reload.py                  gatepost:ValidateConfig
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import orjson
from aiohttp import web

from gatepost.admin.api import register
from gatepost.admin.auth import AdminAuth, Refusal
from gatepost.admin.openapi import DOCUMENT
from gatepost.admin.reload import ReloadVerbs
from gatepost.admin.route_map import route_map
from gatepost.iam.directory import IamDirectory
from gatepost.observe.metrics import WorkerMetrics
from gatepost.request import GatewayRequest

if TYPE_CHECKING:
    from gatepost.gateway import Gateway
    from gatepost.server.reload_control import Reloads

log = logging.getLogger("gatepost.admin")
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def gateway_request(request: web.Request, body: bytes) -> GatewayRequest:
    headers = tuple((k.lower(), v) for k, v in request.headers.items())
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    return GatewayRequest(method=request.method, path=request.path, raw_path=request.raw_path.split("?", 1)[0],
                          query_string=request.query_string, headers=headers, body=body,
                          source_ip=peer[0] if peer else "127.0.0.1")


class _Serving:
    """The gateway serving at the moment of each call (a live reload replaces AdminServer.gw)."""

    def __init__(self, admin: AdminServer) -> None:
        self._admin = admin

    def __getattr__(self, name: str) -> Any:
        return getattr(self._admin.gw, name)


class AdminServer:
    def __init__(self, gw: Gateway, workers: int) -> None:
        self.gw = gw
        self.config = gw.config.admin
        self.metrics = WorkerMetrics(gw, workers)
        self.auth = AdminAuth(self.config, IamDirectory.shared(gw.services), gw.services.clock)
        self.runner: web.AppRunner | None = None
        self.reloads: Reloads | None = None  # server/run.py: SIGHUP's twin (None: nothing to reload from)

    async def adopt(self, gw: Gateway) -> None:
        """A live reload: answer for the new gateway (its routes, metrics and IAM principals)."""
        directory = IamDirectory.shared(gw.services)
        await directory.reload()
        self.gw, self.metrics.gw = gw, gw
        self.auth = AdminAuth(self.config, directory, gw.services.clock)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.guard("GetMetrics", self.prometheus))
        app.router.add_get("/admin/routes", self.guard("GetRoutes", self.routes))
        app.router.add_get("/admin/map", route_map(self))
        app.router.add_get("/admin/openapi.json", self.guard("GetOpenApi", self.openapi))
        register(app, self.guard, cast("Gateway", _Serving(self)))  # admin/registry.py's operations (keys, ...)
        verbs = ReloadVerbs(self.reloads, self.metrics.workers)
        app.router.add_post("/admin/reload", self.guard("ReloadConfig", verbs.reload))
        app.router.add_post("/admin/config/validate", self.guard("ValidateConfig", verbs.validate))
        return app

    async def start(self, sock: socket.socket | None = None) -> int:
        """Serve on `sock` (bound) or on the configured host and port; returns the port."""
        await IamDirectory.shared(self.gw.services).reload()
        await self.metrics.start()
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        if sock is None:
            sock = socket.socket(socket.AF_INET6 if ":" in self.config.host else socket.AF_INET)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((self.config.host, self.config.port))
        site = web.SockSite(self.runner, sock)
        await site.start()
        port = int(sock.getsockname()[1])
        log.info("admin.listening host=%s port=%d pid=%d", self.config.host, port, os.getpid())
        return port

    async def stop(self) -> None:
        await self.metrics.stop()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def guard(self, action: str, handler: Handler) -> Handler:
        async def checked(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            try:
                who = self.auth.check(gateway_request(request, body), action)
            except Refusal as refusal:
                log.info("admin.refused action=%s status=%d reason=%s", action, refusal.status, refusal.reason)
                return _json(refusal.status, {"message": refusal.message})
            log.info("admin.call action=%s caller=%s", action, who)
            return await handler(request)

        return checked

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {"status": "ok", "pid": os.getpid()}
        if self.reloads is not None:
            body["config"] = self.reloads.version().label
        return _json(200, body)

    async def prometheus(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=await self.metrics.render(), headers={"content-type": PROMETHEUS_TEXT})

    async def routes(self, request: web.Request) -> web.StreamResponse:
        from gatepost.explain.explain import explain
        from gatepost.explain.load import Loaded

        loaded = Loaded(self.gw.config, self.gw, self.gw.services.config_dir / "gatepost.yaml")
        return _json(200, {"routes": [r.as_dict() for r in explain(loaded)]})

    async def openapi(self, request: web.Request) -> web.StreamResponse:
        return _json(200, DOCUMENT)
