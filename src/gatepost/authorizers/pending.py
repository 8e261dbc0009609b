"""A fail-closed stand-in for an authorizer kind that this build of Gatepost cannot run yet.

The route is configured (so `check`, `explain` and the route table see it) but every request is refused
with AUTHORIZER_CONFIGURATION_ERROR (500): never a 2xx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepost.authorizers.base import Authorizer
from gatepost.decision import Decision, Outcome
from gatepost.errors import GatewayError, ResponseType

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest


class PendingAuthorizer(Authorizer):
    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        error = GatewayError(ResponseType.AUTHORIZER_CONFIGURATION_ERROR, f"{self.kind}.not_available")
        return Decision.reject(Outcome.ERROR, error, authorizer=self.name, kind=self.kind)
