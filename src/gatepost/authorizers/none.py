"""NONE: a public route. Only ever chosen by an explicit `public: true` on the route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatepost.authorizers.base import Authorizer
from gatepost.decision import PUBLIC, Decision

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest


class PublicAuthorizer(Authorizer):
    kind = "none"

    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        return PUBLIC

    def describe(self) -> dict[str, Any]:
        return {"kind": "none", "identity_source": "-", "owner": "-", "cost": "none",
                "coupling": "-", "propagates": "nothing"}
