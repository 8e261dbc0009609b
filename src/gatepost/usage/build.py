"""Builds an API's usage gate and caller throttle from its config.

This build has no API-key or throttle support yet: a route that requires an API key fails closed
(403 Forbidden, as a missing key does), and a configured throttle is refused at load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepost.decision import Decision
from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import NO_THROTTLE, NO_USAGE, CallerThrottle, UsageGate

if TYPE_CHECKING:
    from gatepost.authorizers.base import ApiInfo
    from gatepost.config.models import ApiConfig, GatewayConfig
    from gatepost.gateway import RouteMatch
    from gatepost.request import GatewayRequest
    from gatepost.services import Services


class _KeysUnavailable(UsageGate):
    async def admit(self, req: GatewayRequest, match: RouteMatch, decision: Decision) -> Decision:
        if match.route.api_key_required:
            raise GatewayError(ResponseType.INVALID_API_KEY, "usage.not_available")
        return decision


def build_usage_gate(api: ApiConfig, config: GatewayConfig, info: ApiInfo, services: Services) -> UsageGate:
    return _KeysUnavailable() if any(r.api_key_required for r in api.routes) else NO_USAGE


def build_caller_throttle(api: ApiConfig, info: ApiInfo, services: Services) -> CallerThrottle:
    if api.throttle is not None or any(r.throttle for r in api.routes):
        raise ValueError("throttles are not available in this build of Gatepost; remove `throttle:`")
    return NO_THROTTLE
