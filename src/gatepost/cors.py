"""CORS per API, as HTTP APIs have it: preflights answered by the gateway without auth, and CORS
headers on every response, gateway errors included (so browsers see the 401/403, not a CORS error)."""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.request import GatewayRequest
from gatepost.response import Response


@dataclass(frozen=True, slots=True)
class Cors:
    allow_origins: frozenset[str]
    allow_methods: str
    allow_headers: str
    expose_headers: str
    max_age: int | None
    allow_credentials: bool

    def origin_allowed(self, origin: str) -> bool:
        return "*" in self.allow_origins or origin in self.allow_origins

    def is_preflight(self, req: GatewayRequest) -> bool:
        return (req.method == "OPTIONS" and req.header("origin") is not None
                and req.header("access-control-request-method") is not None)

    def preflight(self, req: GatewayRequest) -> Response:
        origin = req.header("origin") or ""
        if not self.origin_allowed(origin):
            return Response(204, [("vary", "Origin")])
        headers = self._origin_headers(origin)
        headers.append(("access-control-allow-methods", self.allow_methods))
        headers.append(("access-control-allow-headers", self.allow_headers))
        if self.max_age is not None:
            headers.append(("access-control-max-age", str(self.max_age)))
        return Response(204, headers)

    def decorate(self, req: GatewayRequest, response: Response) -> None:
        origin = req.header("origin")
        if origin is None or not self.origin_allowed(origin):
            return
        lowered = {k.lower() for k, _ in response.headers}
        for name, value in self._origin_headers(origin):
            if name not in lowered:
                response.headers.append((name, value))
        if self.expose_headers and "access-control-expose-headers" not in lowered:
            response.headers.append(("access-control-expose-headers", self.expose_headers))

    def _origin_headers(self, origin: str) -> list[tuple[str, str]]:
        wildcard = "*" in self.allow_origins and not self.allow_credentials
        headers = [("access-control-allow-origin", "*" if wildcard else origin)]
        if not wildcard:
            headers.append(("vary", "Origin"))
        if self.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        return headers
