"""What the pipeline's stages read from a matched route: `RouteMatch` (gateway.py) as seen from below.

Authorizers, gates, integrations and usage take a `Match`, never gateway.py's classes: `Route` holds an
`Authorizer` and an `Integration`, so if those imported `RouteMatch` back, gateway.py and every kind
would import each other. These protocols import only leaf modules; gateway.py's frozen dataclasses
satisfy them structurally (mypy checks that where the pipeline hands a RouteMatch down).

Layering (docs/architecture.md): leaf values (request, decision, api_info, matching) <- kinds and gates
(authorizers/, integrations/, gates, usage/, policy/) <- config models <- gateway.py <- pipeline, server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gatepost.api_info import ApiInfo
    from gatepost.config.throttle import ThrottleConfig
    from gatepost.decision import Decision


class EventHooks(Protocol):
    """The part of a route's authorizer that AWS's events ask for (integrations/events.py)."""

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None: ...

    def event_identity(self, decision: Decision) -> dict[str, Any]: ...


class MatchedApi(Protocol):
    @property
    def info(self) -> ApiInfo: ...

    @property
    def flavour(self) -> str: ...

    @property
    def api_key_source(self) -> str: ...

    @property
    def base_path(self) -> str: ...


class MatchedRoute(Protocol):
    @property
    def route_key(self) -> str: ...

    @property
    def authorizer(self) -> EventHooks: ...

    @property
    def scopes(self) -> tuple[str, ...] | None: ...

    @property
    def groups(self) -> tuple[str, ...] | None: ...

    @property
    def groups_match(self) -> str: ...

    @property
    def api_key_required(self) -> bool: ...

    @property
    def throttle(self) -> ThrottleConfig | None: ...

    @property
    def index(self) -> int: ...


class Match(Protocol):
    """One request's route: the API and route it matched, the verb, path parameters and method ARN."""

    @property
    def api(self) -> MatchedApi: ...

    @property
    def route(self) -> MatchedRoute: ...

    @property
    def method(self) -> str: ...  # the request's verb (never ANY)

    @property
    def path_params(self) -> Mapping[str, str]: ...

    @property
    def api_path(self) -> str: ...  # decoded, relative to the API's base path

    @property
    def raw_api_path(self) -> str: ...  # as sent (percent-encoded)

    @property
    def method_arn(self) -> str: ...

    @property
    def resource_path(self) -> str: ...  # the route's path template
