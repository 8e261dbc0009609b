"""The integration contract: built once from config, `send` called for every allowed request (an Outbound)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from gatepost.authorizers.base import BuildContext
    from gatepost.integrations.outbound import Outbound
    from gatepost.response import Response
    from gatepost.services import Services


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

