"""The integration contract: built once from config, `send` called for every allowed request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from gatepost.authorizers.base import BuildContext
    from gatepost.decision import Decision
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.response import Response
    from gatepost.services import Services


@dataclass(slots=True, eq=False)  # not frozen: built once per request, and a frozen __init__ is slower
class Outbound:
    """An allowed request, ready for its integration.

    `headers`: the client's headers with hop-by-hop and reserved-prefix headers removed, plus the
    identity headers Gatepost sets (propagate.py). `client_headers`: the same without identity headers
    (what a Lambda-proxy event shows).
    """

    req: GatewayRequest
    match: Match
    decision: Decision
    headers: list[tuple[str, str]]
    client_headers: list[tuple[str, str]]


class Integration:
    kind: ClassVar[str] = "?"

    def bind(self, ctx: BuildContext) -> None:
        """Called at compile, once per API that uses this integration (its ApiInfo, the config's folder).
        Raise ValueError for a config problem: it is reported with the integration's place."""

    async def start(self, services: Services) -> None:
        """Called once when the gateway starts."""

    async def close(self) -> None:
        """Called once at shutdown."""

    async def send(self, out: Outbound) -> Response:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}
