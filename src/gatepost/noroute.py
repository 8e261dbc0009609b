"""What a request that matches no route gets. AWS never answers 405.

REST: 403 `{"message":"Missing Authentication Token"}`. HTTP: 404 `{"message":"Not Found"}`.
"""

from __future__ import annotations

from gatepost.errors import GatewayError, ResponseType
from gatepost.request import GatewayRequest


def no_route_error(flavour: str, req: GatewayRequest) -> GatewayError:
    if flavour == "http":
        return GatewayError(ResponseType.RESOURCE_NOT_FOUND, "route.not_found")
    return GatewayError(ResponseType.MISSING_AUTHENTICATION_TOKEN, "route.not_found")
