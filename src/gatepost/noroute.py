"""What a request that matches no route gets. AWS never answers 405.

REST: 403 `{"message":"Missing Authentication Token"}`; with an `Authorization` header that is not a
well-formed SigV4 header (e.g. `Bearer ...`), AWS's IncompleteSignatureException instead (reference 4.4,
gotcha 11). HTTP: 404 `{"message":"Not Found"}`.
"""

from __future__ import annotations

from gatepost.errors import GatewayError, ResponseType
from gatepost.request import GatewayRequest
from gatepost.sigv4.params import authorization_error


def no_route_error(flavour: str, req: GatewayRequest) -> GatewayError:
    if flavour == "http":
        return GatewayError(ResponseType.RESOURCE_NOT_FOUND, "route.not_found")
    incomplete = authorization_error(req)
    if incomplete is not None:
        return GatewayError(incomplete.type, "route.not_found", incomplete.message)
    return GatewayError(ResponseType.MISSING_AUTHENTICATION_TOKEN, "route.not_found")
