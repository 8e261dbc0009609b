"""The authorizer contract: one module per kind, each with its config model, listed in registry.py.

An authorizer is built once from its frozen config (`build(name, config, ctx)`) and then shared by every
request of every route that names it. `authorize` returns a Decision (never raises for an expected
outcome). The two `event_*` methods are the hook through which each kind fills its part of AWS's
events (`requestContext.authorizer`, `requestContext.identity`); the events module calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from gatepost.api_info import ApiInfo as ApiInfo  # re-exported: the kinds' modules import it from here
from gatepost.clock import SYSTEM_CLOCK, Clock
from gatepost.decision import Decision

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.services import Services


@dataclass(slots=True)
class BuildContext:
    """Handed to `build`: the API, the shared services (stores, HTTP client, clock), the config's folder."""

    api: ApiInfo
    services: Services
    config_dir: Path = Path(".")

    @property
    def clock(self) -> Clock:
        return self.services.clock if self.services is not None else SYSTEM_CLOCK


class Authorizer:
    """Base class. Subclasses set `kind` and implement `authorize`."""

    kind: ClassVar[str] = "none"
    supports_scopes: ClassVar[bool] = False  # may a route name `scopes` with this authorizer?
    supports_groups: ClassVar[bool] = False  # may a route name `groups` with this authorizer?
    uses_catalog: bool = False  # decides from catalog snapshots (refused once they are too old)

    def __init__(self, name: str, api: ApiInfo) -> None:
        self.name = name
        self.api = api

    async def start(self) -> None:
        """Called once when the gateway starts (fetch keys, open connections). Must not fail the start
        for an identity provider that is down: fail closed at request time instead."""

    async def close(self) -> None:
        """Called once at shutdown."""

    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        raise NotImplementedError

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        """`requestContext.authorizer` for this kind: payload_version "1.0" (REST and HTTP 1.0) or "2.0"."""
        return None

    def event_identity(self, decision: Decision) -> dict[str, Any]:
        """Fields this kind sets in REST's `requestContext.identity` (e.g. IAM's userArn)."""
        return {}

    def describe(self) -> dict[str, Any]:
        """Facts for `gatepost explain`: identity source, owner, cost, coupling, propagation."""
        return {"kind": self.kind}

    def credential_names(self) -> tuple[tuple[str, str], ...]:
        """The headers and query parameters this authorizer reads a credential from, as ("header", name)
        (lower-case) or ("query", name): given twice in a request, it is refused (request_head.py)."""
        return ()
