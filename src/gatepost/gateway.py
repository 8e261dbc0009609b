"""The compiled, frozen runtime: Gateway -> Api -> Route, and RouteMatch (one per request).

Built once from the config by config/compile.py; requests only read these objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gatepost.authorizers.base import ApiInfo, Authorizer
from gatepost.closing import Step, close_all
from gatepost.gates import NO_WEB_ACL, WebAclGate
from gatepost.integrations.base import Integration
from gatepost.observe.metrics import Metrics
from gatepost.routing import RouteKey, RouteTable

if TYPE_CHECKING:
    from gatepost.config.models import GatewayConfig
    from gatepost.config.throttle import ThrottleConfig
    from gatepost.cors import Cors
    from gatepost.gates import CallerThrottle, PolicyGate, UsageGate
    from gatepost.request_validation import RequestValidator
    from gatepost.responses import GatewayResponses
    from gatepost.services import Services
    from gatepost.tracing.tracer import Tracer


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    key: RouteKey
    authorizer: Authorizer
    integration: Integration
    public: bool = False
    scopes: tuple[str, ...] | None = None
    groups: tuple[str, ...] | None = None
    groups_match: str = "any"
    api_key_required: bool = False
    throttle: ThrottleConfig | None = None
    index: int = 0  # position in the config's route list
    validator: RequestValidator | None = None  # request_validation.py: after authorization, before the integration

    @property
    def route_key(self) -> str:
        return str(self.key)


@dataclass(frozen=True, slots=True, eq=False)
class Api:
    info: ApiInfo
    base_path: str
    hosts: frozenset[str]
    table: RouteTable[Route]
    routes: tuple[Route, ...]
    authorizers: Mapping[str, Authorizer]
    responses: GatewayResponses
    policy: PolicyGate
    caller_throttle: CallerThrottle
    usage: UsageGate
    cors: Cors | None = None
    api_key_source: str = "HEADER"
    arn_prefix: str = ""  # arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/
    web_acl: WebAclGate = NO_WEB_ACL  # waf/: evaluated before CORS, routing and any authorizer
    # RouteMatches of parameterless routes by (method, api path, raw api path): pipeline.route's memo
    matches: dict[tuple[str, str, str], RouteMatch] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def flavour(self) -> str:
        return self.info.flavour


@dataclass(frozen=True, slots=True)
class RouteMatch:
    api: Api
    route: Route
    method: str  # the request's verb (never ANY)
    path_params: dict[str, str]
    api_path: str  # decoded, relative to the API's base path, starting with "/"
    raw_api_path: str  # as sent (percent-encoded), relative to the base path
    method_arn: str

    @property
    def resource_path(self) -> str:
        return self.route.key.path


def method_arn(api: Api, method: str, api_path: str) -> str:
    """`arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{METHOD}/{path}`; root ends in "/"."""
    return f"{api.arn_prefix}{method}/{api_path[1:]}"


@dataclass(eq=False)
class Gateway:
    config: GatewayConfig
    apis: tuple[Api, ...]
    services: Services
    extras: dict[str, Any] = field(default_factory=dict)
    propagation_prefix: str = "x-gatepost-"
    # requests that reached each route's integration (observe/integration_counts.py serves the sums)
    integration_calls: defaultdict[Route, int] = field(default_factory=lambda: defaultdict(int))
    # requests by api/route/status/reason and their durations (observe/metrics.py, the admin port's /metrics)
    metrics: Metrics = field(default_factory=Metrics)
    # tracing/ (None: off): the server starts each request's trace with it; authorizers and integrations were
    # instrumented when it was built
    tracer: Tracer | None = None
    # the API when there is one, on every host, at "/": it serves every request (no host or path to look at)
    only: Api | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if len(self.apis) == 1 and not self.apis[0].hosts and self.apis[0].base_path == "/":
            self.only = self.apis[0]

    def find_api(self, host: str, path: str) -> tuple[Api, str] | None:
        """The API serving this host and path (longest base path wins), and the path relative to it."""
        if self.only is not None:
            return self.only, path or "/"
        hostname = host.rsplit(":", 1)[0].lower() if host and not host.endswith("]") else host.lower()
        for api in self.apis:  # sorted by compile: host-bound first, then longest base path
            if api.hosts and hostname not in api.hosts:
                continue
            if api.base_path == "/":
                return api, path or "/"
            if path == api.base_path or path.startswith(api.base_path + "/"):
                return api, path[len(api.base_path):] or "/"
        return None

    async def start(self) -> None:
        for api in self.apis:
            for authorizer in api.authorizers.values():
                await authorizer.start()
            for integration in {id(r.integration): r.integration for r in api.routes}.values():
                await integration.start(self.services)
            await api.usage.start()
            await api.caller_throttle.start()
            await api.web_acl.start()
        await self.services.watcher.start()
        if self.tracer is not None:
            self.tracer.start()

    async def close(self) -> None:
        """Every part, then the shared services; a part that fails to close is logged and the rest still close."""
        await close_all([*self._own_steps(), ("services", self.services.close)])

    async def retire(self) -> None:
        """What this gateway started, not the services a reloaded successor shares (server/reload.py)."""
        await close_all(self._own_steps())

    def _own_steps(self) -> list[Step]:
        """Its tracer (the last spans exported), its catalog watcher, then what each API started (authorizers,
        integrations, usage, throttles, Web ACL)."""
        steps: list[Step] = [("tracer", self.tracer.close)] if self.tracer is not None else []
        steps.append(("catalog_watcher", self.services.watcher.stop))
        for api in self.apis:
            steps += [(f"{api.name}.authorizer.{name}", a.close) for name, a in api.authorizers.items()]
            integrations = {id(r.integration): r for r in api.routes}.values()
            steps += [(f"{api.name}.integration {r.route_key}", r.integration.close) for r in integrations]
            steps += [(f"{api.name}.usage", api.usage.close),
                      (f"{api.name}.caller_throttle", api.caller_throttle.close),
                      (f"{api.name}.web_acl", api.web_acl.close)]
        return steps
