"""Compile a validated GatewayConfig into the frozen runtime (gateway.py), once.

Semantic checks live here: deny by default (a route needs an authorizer or an explicit `public: true`),
unknown authorizer names, duplicate or ambiguous routes, the reserved `/_gatepost/` prefix, options an
authorizer kind cannot honour. Every problem is collected with its place; nothing is half-built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gatepost.authorizers.base import ApiInfo, Authorizer, BuildContext
from gatepost.authorizers.none import PublicAuthorizer
from gatepost.authorizers.registry import KINDS as AUTHORIZER_KINDS
from gatepost.config.located import Loc, Located
from gatepost.config.models import ApiConfig, CorsConfig, GatewayConfig, RouteConfig
from gatepost.cors import Cors
from gatepost.errors import ConfigError, ConfigIssue, ResponseType
from gatepost.federation.exchange import IdentityPools
from gatepost.gates import NO_WEB_ACL, WebAclGate
from gatepost.gateway import Api, Gateway, Route
from gatepost.idp.registry import UserPools
from gatepost.integrations.base import Integration
from gatepost.integrations.registry import KINDS as INTEGRATION_KINDS
from gatepost.policy.resource import build_policy_gate
from gatepost.request_validation import RequestValidator
from gatepost.responses import GatewayResponses, compile_overrides
from gatepost.routing import DEFAULT_ROUTE, RouteSyntaxError, RouteTable, parse_route_key
from gatepost.services import Services
from gatepost.tracing.build import OTEL_MISSING, build_tracer
from gatepost.usage.build import build_caller_throttle, build_usage_gate
from gatepost.waf.build import build_web_acl_gates

RESERVED_PREFIX = "/_gatepost"


class _Issues:
    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.items: list[ConfigIssue] = []

    def add(self, loc: Loc, problem: str, fix: str = "") -> None:
        self.items.append(self.doc.issue(loc, problem, fix))

    def add_located(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        return self.doc.issue(loc, problem, fix)


def api_info(name: str, cfg: ApiConfig) -> ApiInfo:
    stage = cfg.stage or ("prod" if cfg.flavour == "rest" else "$default")
    return ApiInfo(name, cfg.api_id or name, cfg.flavour, stage, cfg.region, cfg.account_id, cfg.stage_variables,
                   tuple(cfg.binary_media_types))


def build_integration(cfg: Any) -> Integration:
    return INTEGRATION_KINDS[cfg.type].build(cfg)


def _authorizers(name: str, cfg: ApiConfig, ctx: BuildContext, issues: _Issues) -> dict[str, Authorizer]:
    out: dict[str, Authorizer] = {}
    for aname, acfg in cfg.authorizers.items():
        try:
            out[aname] = AUTHORIZER_KINDS[acfg.type].build(aname, acfg, ctx)
        except (ValueError, OSError, ImportError) as exc:
            example = AUTHORIZER_KINDS[acfg.type].example
            issues.add(("apis", name, "authorizers", aname), str(exc),
                       "correct the authorizer's settings" + (f"; e.g. {aname}: {example}" if example else ""))
        except ConfigError as exc:
            issues.items.extend(exc.issues)
    return out


def _route(api_name: str, i: int, rc: RouteConfig, cfg: ApiConfig, info: ApiInfo,
           authorizers: dict[str, Authorizer], default_integration: Integration | None,
           issues: _Issues) -> Route | None:
    loc: Loc = ("apis", api_name, "routes", i)
    try:
        key = parse_route_key(rc.route)
    except RouteSyntaxError as exc:
        issues.add((*loc, "route"), str(exc), 'write a method and a path, e.g. route: "GET /pets/{id}"')
        return None
    if key.path == DEFAULT_ROUTE and cfg.flavour != "http":
        issues.add((*loc, "route"), "$default exists on http APIs only",
                   'on a rest API catch everything with a greedy path, e.g. route: "ANY /{proxy+}"')
        return None
    if key.path == RESERVED_PREFIX or key.path.startswith(RESERVED_PREFIX + "/"):
        issues.add((*loc, "route"), f"{RESERVED_PREFIX}/ is reserved for the gateway itself",
                   'choose another path, e.g. route: "GET /internal/health"')
        return None
    if rc.public and rc.authorizer:
        issues.add(loc, f"route {key} is both public and uses authorizer {rc.authorizer!r}",
                   f'keep one: remove `public: true` or the authorizer, e.g. {{route: "{key}", '
                   f"authorizer: {rc.authorizer}}}")
        return None
    if not rc.public and not rc.authorizer:
        issues.add(loc, f"route {key} has no authorizer: Gatepost denies by default",
                   f'add `authorizer: NAME`, or `public: true` if anyone may call it, e.g. {{route: "{key}", '
                   f"authorizer: {next(iter(cfg.authorizers), 'staff')}}}")
        return None
    authorizer: Authorizer
    if rc.public:
        authorizer = PublicAuthorizer("", info)
        if rc.scopes or rc.groups:
            issues.add(loc, "a public route cannot require scopes or groups",
                       f"name an authorizer instead of public: true, e.g. {{route: \"{key}\", "
                       f"authorizer: {next(iter(cfg.authorizers), 'staff')}, scopes: [...]}}")
    else:
        assert rc.authorizer is not None
        found = authorizers.get(rc.authorizer)
        if found is None:
            if rc.authorizer not in cfg.authorizers:  # (a build failure was reported already)
                declared = ", ".join(sorted(cfg.authorizers)) or "none"
                issues.add((*loc, "authorizer"), f"unknown authorizer {rc.authorizer!r}",
                           f"use one declared under apis.{api_name}.authorizers (declared: {declared}), "
                           f"e.g. authorizer: {next(iter(sorted(cfg.authorizers)), 'staff')}")
            return None
        authorizer = found
        if rc.scopes and not found.supports_scopes:
            issues.add((*loc, "scopes"), f"{found.kind} authorizers cannot check scopes (AWS ignores them too)",
                       "remove `scopes`, or use a jwt or user_pool authorizer, e.g. "
                       f"{AUTHORIZER_KINDS['jwt'].example}")
        if rc.groups and not found.supports_groups:
            issues.add((*loc, "groups"), f"{found.kind} authorizers cannot check groups",
                       "remove `groups`, or use a jwt or user_pool authorizer, e.g. "
                       f"{AUTHORIZER_KINDS['user_pool'].example}")
    integration = build_integration(rc.integration) if rc.integration is not None else default_integration
    if integration is None:
        issues.add(loc, f"route {key} has no integration",
                   f"add `integration:` to the route or to apis.{api_name}, e.g. "
                   f"integration: {INTEGRATION_KINDS['http'].example}")
        return None
    return Route(key, authorizer, integration, rc.public, tuple(rc.scopes) if rc.scopes else None,
                 tuple(rc.groups) if rc.groups else None, rc.groups_match, rc.api_key_required, rc.throttle, i,
                 RequestValidator(rc.request_validation) if rc.request_validation is not None else None)


def _cors(cfg: CorsConfig | None) -> Cors | None:
    if cfg is None:
        return None
    return Cors(frozenset(cfg.allow_origins), ", ".join(m.upper() for m in cfg.allow_methods),
                ", ".join(cfg.allow_headers), ", ".join(cfg.expose_headers), cfg.max_age, cfg.allow_credentials)


def _bind_integrations(name: str, routes: list[Route], default: Integration | None, ctx: BuildContext,
                       issues: _Issues) -> None:
    """`Integration.bind(ctx)` once per integration this API uses; a ValueError is a config problem."""
    used: list[tuple[Loc, Integration]] = [(("apis", name, "integration"), default)] if default else []
    used += [(("apis", name, "routes", r.index, "integration"), r.integration) for r in routes]
    bound: set[int] = set()
    for loc, integration in used:
        if id(integration) in bound:
            continue
        bound.add(id(integration))
        try:
            integration.bind(ctx)
        except ValueError as exc:
            example = INTEGRATION_KINDS[integration.kind].example if integration.kind in INTEGRATION_KINDS else ""
            issues.add(loc, str(exc),
                       "correct the integration's settings" + (f"; e.g. integration: {example}" if example else ""))


GATE_EXAMPLES = {  # the fix of a refused resource policy, usage setting or throttle: one setting to copy
    "policy": 'e.g. resource_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: "*", '
              'Action: "execute-api:Invoke", Resource: "execute-api:/*"}]}',
    "usage": "e.g. {route: \"POST /orders\", authorizer: partners, api_key_required: true} and a usage plan "
             "naming this API: usage_plans: {partners: {api_stages: [{api: shop}], throttle: {rate: 100, burst: 200}}}",
    "throttle": "e.g. throttle: {rate: 100, burst: 200}",
}


def _web_acl(name: str, cfg: ApiConfig, web_acls: dict[str, WebAclGate], config: GatewayConfig,
             issues: _Issues) -> WebAclGate:
    if cfg.web_acl is None:
        return NO_WEB_ACL
    gate = web_acls.get(cfg.web_acl)
    if gate is None and cfg.web_acl not in config.web_acls:  # (a build failure was reported already)
        declared = ", ".join(sorted(config.web_acls)) or "none"
        issues.add(("apis", name, "web_acl"), f"unknown web ACL {cfg.web_acl!r}",
                   f"use a name declared under web_acls: (declared: {declared})")
    return gate or NO_WEB_ACL


def compile_api(name: str, cfg: ApiConfig, config: GatewayConfig, services: Services,
                config_dir: Path, issues: _Issues, web_acls: dict[str, WebAclGate] | None = None) -> Api | None:
    info = api_info(name, cfg)
    ctx = BuildContext(info, services, config_dir)
    authorizers = _authorizers(name, cfg, ctx, issues)
    default_integration = build_integration(cfg.integration) if cfg.integration is not None else None
    table: RouteTable[Route] = RouteTable()
    routes = []
    for i, rc in enumerate(cfg.routes):
        route = _route(name, i, rc, cfg, info, authorizers, default_integration, issues)
        if route is None:
            continue
        try:
            table.add(route.key, route)
            routes.append(route)
        except RouteSyntaxError as exc:
            issues.add(("apis", name, "routes", i, "route"), str(exc),
                       "remove or rename one of the two routes, e.g. the same parameter name in both: "
                       "GET /orders/{id} and DELETE /orders/{id}")
    _bind_integrations(name, routes, default_integration, ctx, issues)
    for rname in cfg.gateway_responses:
        if rname not in ResponseType.__members__:
            issues.add(("apis", name, "gateway_responses", rname), f"unknown gateway response type {rname!r}",
                       "use an AWS response type such as UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX, "
                       "e.g. UNAUTHORIZED: {status: 401}")
    gates: dict[str, Any] = {}
    for label, loc, builder in (
        ("policy", "resource_policy", lambda: build_policy_gate(cfg.resource_policy, info, services)),
        ("usage", "routes", lambda: build_usage_gate(cfg, config, info, services)),
        ("throttle", "throttle", lambda: build_caller_throttle(cfg, info, services)),
    ):
        try:
            gates[label] = builder()
        except ValueError as exc:
            issues.add(("apis", name, loc), str(exc), GATE_EXAMPLES[label])
        except ConfigError as exc:
            issues.items.extend(exc.issues)
    if len(gates) < 3:
        return None
    responses = GatewayResponses(cfg.flavour, info.stage, cfg.stage_variables, compile_overrides(cfg.gateway_responses))
    arn_prefix = f"arn:aws:execute-api:{info.region}:{info.account_id}:{info.api_id}/{info.stage}/"
    web_acl = _web_acl(name, cfg, web_acls or {}, config, issues)
    return Api(info, cfg.base_path, frozenset(h.lower() for h in cfg.hosts), table, tuple(routes), authorizers,
               responses, gates["policy"], gates["throttle"], gates["usage"], _cors(cfg.cors),
               cfg.api_key_source, arn_prefix, web_acl)


def compile_gateway(config: GatewayConfig, doc: Located, services: Services, config_dir: Path) -> Gateway:
    issues = _Issues(doc)
    try:
        # idp/: built-in pools, before authorizers name them (`builtin:`)
        UserPools.install(config.user_pools, config.server.host, config.server.port, services)
    except ValueError as exc:
        issues.add(("user_pools",), str(exc), "give each pool its own pool_id and each client its own client_id, "
                   "e.g. pool_id: us-east-1_Payments1 and us-east-1_Payments2")
    try:
        IdentityPools.install(config, services)  # federation/: after the user pools its providers name
    except ValueError as exc:
        issues.add(("identity_pools",), str(exc), "name declared user pools and give each pool its own id, "
                   "e.g. pool_id: us-east-1:0a1b2c3d-0000-4000-8000-000000000001")
    web_acls, acl_issues = build_web_acl_gates(config, config_dir, services, issues.add_located)
    issues.items.extend(acl_issues)
    apis = []
    seen: dict[tuple[frozenset[str], str], str] = {}
    for name, cfg in config.apis.items():
        mount = (frozenset(h.lower() for h in cfg.hosts), cfg.base_path)
        if mount in seen:
            issues.add(("apis", name, "base_path"), f"API {seen[mount]!r} is already served at this host and base path",
                       "give one of them another base_path or hosts, e.g. base_path: /v2")
        seen[mount] = name
        api = compile_api(name, cfg, config, services, config_dir, issues, dict(web_acls))
        if api is not None:
            apis.append(api)
    if issues.items:
        raise ConfigError(issues.items)
    apis.sort(key=lambda a: (not a.hosts, -len(a.base_path)))
    try:
        tracer = build_tracer(config.tracing, apis)
    except ImportError:
        raise ConfigError([doc.issue(("tracing", "exporter"), *OTEL_MISSING)]) from None
    return Gateway(config, tuple(apis), services,
                   propagation_prefix=config.server.propagation_prefix.lower(), tracer=tracer)
