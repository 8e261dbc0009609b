"""Builds an API's usage gate (API keys, plan throttles, quotas) and caller throttle from its config.

Called once per API at load (config/compile.py). Everything that depends on the config is compiled here;
the per-gateway runtime (key snapshot, counters, usage records) is shared through `services.extras`.
An API with no keyed route and no throttle gets the pass-through gates.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gatepost.gates import NO_THROTTLE, NO_USAGE, CallerThrottle, UsageGate
from gatepost.usage.config import UsageSettings
from gatepost.usage.gate import ApiKeyGate
from gatepost.usage.plans import CompiledPlan, compile_plan
from gatepost.usage.runtime import UsageRuntime
from gatepost.usage.throttle import CallerLimits

if TYPE_CHECKING:
    from gatepost.api_info import ApiInfo
    from gatepost.config.models import ApiConfig, GatewayConfig
    from gatepost.services import Services

log = logging.getLogger("gatepost.usage")


SETTINGS = "usage.settings"


def _runtime(services: Services) -> UsageRuntime:
    settings = services.extras.get(SETTINGS)
    runtime = UsageRuntime.of(services, settings if isinstance(settings, UsageSettings) else UsageSettings())
    runtime.check_processes()
    return runtime


def shared_runtime(services: Services) -> UsageRuntime:
    """The gateway's counters (and their checks), for other features that count in them (waf/rate.py)."""
    return _runtime(services)


def _plans_for(api: ApiConfig, config: GatewayConfig, info: ApiInfo) -> dict[str, CompiledPlan]:
    plans = {}
    for name, plan in config.usage_plans.items():
        if any(b.api == info.name for b in plan.api_stages):
            plans[name] = compile_plan(name, plan, info.name)
            _check_method_keys(name, plans[name], api)
    return plans


def _check_method_keys(plan_name: str, plan: CompiledPlan, api: ApiConfig) -> None:
    routes = {(r.route.split(" ", 1)[-1].strip(), r.route.split(" ", 1)[0].upper()) for r in api.routes}
    for path, method in plan.methods:
        if not any(p == path and (m == method or m == "ANY" or method in ("*", "ANY")) for p, m in routes):
            raise ValueError(f"usage plan {plan_name!r}: throttle override '{path}/{method}' matches no route of "
                             f"this API; key it by a route's path and method, e.g. '/pets/{{id}}/GET'")


def _warn_unusable(api: ApiConfig, info: ApiInfo, plans: dict[str, CompiledPlan]) -> None:
    keyed = [r.route for r in api.routes if r.api_key_required]
    if not plans:
        log.warning("usage.no_plan api=%s stage=%s: routes %s require an API key but no usage plan covers this "
                    "API stage, so every request to them is refused (403)", info.name, info.stage, keyed)
    if api.api_key_source == "AUTHORIZER":
        for r in api.routes:
            kind = api.authorizers[r.authorizer].type if r.authorizer in api.authorizers else None
            if r.api_key_required and kind != "lambda":
                log.warning("usage.no_key_source api=%s route=%r: api_key_source is AUTHORIZER but the route has "
                            "no lambda authorizer to return usageIdentifierKey; its requests are refused (403)",
                            info.name, r.route)


def build_usage_gate(api: ApiConfig, config: GatewayConfig, info: ApiInfo, services: Services) -> UsageGate:
    services.extras[SETTINGS] = config.usage  # the caller throttles (built next) follow the same settings
    services.settings.setdefault("counters", config.state.counters)  # (bootstrap sets it; `check` does not)
    if not any(r.api_key_required for r in api.routes):
        return NO_USAGE
    plans = _plans_for(api, config, info)
    _warn_unusable(api, info, plans)
    runtime = _runtime(services)
    runtime.plans.update(plans)
    return ApiKeyGate(runtime, plans, api.api_key_source, config.usage.quota_headers)


def build_caller_throttle(api: ApiConfig, info: ApiInfo, services: Services) -> CallerThrottle:
    if api.throttle is None and not any(r.throttle for r in api.routes):
        return NO_THROTTLE
    return CallerLimits(_runtime(services), info.name, api.throttle)
