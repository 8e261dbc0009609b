"""What `config/load.py` calls for a SAM / CloudFormation template: the native config dict and its locator.

Order: decode -> local includes -> parameters -> SAM transform (when declared) -> functions, pools, APIs,
usage plans -> every resource's fate. Public routes are logged loudly, as the OpenAPI import logs them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatepost.config.located import Loc, Located, place
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.templates import apis as apis_mod
from gatepost.templates import domains as domains_mod
from gatepost.templates import functions as functions_mod
from gatepost.templates import identities, include, parameters, raw_http, raw_rest, sam, stage_settings, transforms
from gatepost.templates import pools as pools_mod
from gatepost.templates import roles as roles_mod
from gatepost.templates import usage as usage_mod
from gatepost.templates.decode import TemplateLocated, decode
from gatepost.templates.fates import SERVED, Fate, default_fate, summary
from gatepost.templates.intrinsics import Resolver

log = logging.getLogger("gatepost.templates")
METADATA_KEY = "Gatepost"
_LOCAL_SECTIONS = ("server", "state", "sidecars")


class TemplateConfigLocated(Located):
    """Native places (apis.NAME.routes[3]...) located in the template; carries the report `check` prints."""

    def __init__(self, template: TemplateLocated, apis: Mapping[str, apis_mod.Api],
                 bodies: Mapping[str, Located], report: list[str]) -> None:
        self.file = template.file
        self.data = template.data
        self.lines = template.lines
        self.template = template
        self.apis = apis
        self.bodies = bodies
        self.report_lines = report

    def report(self) -> list[str]:
        return list(self.report_lines)

    def _body_origin(self, loc: Loc) -> tuple[Located, Loc] | None:
        if len(loc) < 2 or loc[0] != "apis" or str(loc[1]) not in self.apis:
            return None
        origins = self.apis[str(loc[1])].imported.origins
        for n in range(len(loc), 0, -1):
            if loc[:n] in origins:
                return self.bodies[str(loc[1])], origins[loc[:n]]
        return None

    def line(self, loc: Loc) -> int | None:
        found = self._body_origin(loc)
        if found is not None:
            return found[0].line(found[1])
        if len(loc) >= 2 and loc[0] in ("apis", "user_pools", "usage_plans"):
            return self.template.line(("Resources", loc[1]))
        return None

    def issue(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        found = self._body_origin(loc)
        origin = f" (from {found[0].issue(found[1], '').place})" if found else ""
        line = self.line(loc)
        return ConfigIssue(f"{self.file}:{line}" if line else self.file, (place(loc) or "(top level)") + origin,
                           problem, fix)


def load_template(text: str, file: str, env: Mapping[str, str]) -> tuple[dict[str, Any], TemplateConfigLocated]:
    located = decode(text, file)
    include.inline(located)
    transforms.check(located)
    params = parameters.resolve(located, parameters.parse_overrides(env.get(parameters.ENV_VAR, "")))
    local_code: dict[str, str] = {}
    cfn = located
    if sam.is_sam(located.data):
        data, local_code = sam.transform(located, params)
        cfn = TemplateLocated(file, data, located.lines)
    resolver = Resolver(cfn, params)
    template_dir = Path(file).resolve().parent
    functions = functions_mod.collect(resolver, template_dir, local_code)
    pools = pools_mod.collect(resolver)
    bodies: dict[str, Located] = {}
    found = apis_mod.collect(resolver, cfn, functions, pools, located)
    if not found.apis:
        raise ConfigError([located.issue(("Resources",), "the template declares no REST or HTTP API with an "
                                          "OpenAPI Body (or SAM events) to serve",
                                          "add an AWS::Serverless::Api / HttpApi, or Api events to a function")])
    for name, api in found.apis.items():
        bodies[name] = api.located
    stages = {name: api.imported.config["apis"][name].get("stage") for name, api in found.apis.items()}
    api_ids = {api.api_id: name for name, api in found.apis.items()}
    plans = usage_mod.collect(resolver, api_ids, stages)
    _apply_environment(functions, located)
    mounts = domains_mod.collect(resolver, api_ids, stages)
    config = _config(found, pools, plans, located.data.get("Metadata"), mounts)
    settings = stage_settings.apply(resolver, api_ids, config["apis"])
    roles = roles_mod.collect(resolver)
    _give_roles(config, roles)
    report = _report(resolver, found, functions, pools, plans, roles, mounts, settings)
    report += [f"note: API {name} is served under {api['base_path']}" for name, api in config["apis"].items()
               if api.get("base_path", "/") != "/"]
    for api in found.apis.values():
        for route in api.imported.public:
            log.warning("template.public_route api=%s route=%s: anyone may call it, as on AWS", api.name, route)
    return config, TemplateConfigLocated(located, found.apis, bodies, report)


def _config(found: apis_mod.Apis, pools: pools_mod.Pools, plans: usage_mod.Usage,
            metadata: Any, mounts: domains_mod.Mounts) -> dict[str, Any]:
    """The native config; `Metadata: {Gatepost: {server, state, sidecars}}` in the template adds local settings
    (CloudFormation ignores Metadata it does not know)."""
    local = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    config: dict[str, Any] = {k: v for k, v in (local or {}).items() if k in _LOCAL_SECTIONS}
    config["apis"] = {}
    base_paths = (local or {}).get("base_paths") or {}
    for name, api in found.apis.items():
        config["apis"][name] = api.imported.config["apis"][name]
        if name in base_paths:
            config["apis"][name]["base_path"] = str(base_paths[name])
        elif name in mounts.places:  # a custom domain's base path mapping
            config["apis"][name].update({k: v for k, v in mounts.places[name].items() if v})
        elif len(found.apis) > 1:  # one port for several APIs (each has its own host on AWS)
            config["apis"][name]["base_path"] = f"/{name}"
    if pools.config:
        config["user_pools"] = pools.config
    if plans.plans:
        config["usage_plans"] = plans.plans
    if plans.demo_key is not None:
        config["usage"] = {"demo_key": plans.demo_key}
    return config


def _give_roles(config: dict[str, Any], roles: dict[str, list[dict[str, Any]]]) -> None:
    """Every IAM authorizer knows the template's roles (iam/seed_roles.py creates them at start)."""
    for api in config["apis"].values():
        for auth in api.get("authorizers", {}).values():
            if auth.get("type") == "iam" and roles:
                auth["roles"] = roles


def _apply_environment(functions: Mapping[str, functions_mod.Function], located: TemplateLocated) -> None:
    """In-process functions share the gateway's environment: the template's variables are set there."""
    chosen: dict[str, tuple[str, str]] = {}
    issues = []
    for fn in functions.values():
        if fn.handler is None or fn.runtime != "python":
            continue
        for key, value in fn.environment.items():
            other = chosen.setdefault(key, (value, fn.logical_id))
            if other[0] != value:
                issues.append(located.issue(("Resources", fn.logical_id), f"functions {other[1]} and {fn.logical_id} "
                                            f"set environment variable {key} differently; in-process functions "
                                            "share one environment", "give the variable one value, or two names"))
    if issues:
        raise ConfigError(issues)
    for key, (value, _) in chosen.items():
        os.environ[key] = value


def _report(resolver: Resolver, found: apis_mod.Apis, functions: Mapping[str, functions_mod.Function],
            pools: pools_mod.Pools, plans: usage_mod.Usage, roles: Mapping[str, Any], mounts: domains_mod.Mounts,
            settings: stage_settings.Settings) -> list[str]:
    fates: list[Fate] = []
    stage_apis = {name for name in found.apis}
    for logical_id, resource in resolver.resources.items():
        if not isinstance(resource, Mapping):
            continue
        rtype = str(resource.get("Type"))
        condition = resource.get("Condition")
        if condition is not None and not resolver.condition(str(condition)):
            fates.append(Fate(logical_id, rtype, "ignored", f"condition {condition} is false"))
        elif logical_id in found.apis:
            api = found.apis[logical_id].imported
            routes = api.config["apis"][logical_id]["routes"]
            fates.append(Fate(logical_id, rtype, SERVED, f"API {logical_id}: {len(routes)} route(s), "
                                                         f"{len(api.public)} public"))
        elif logical_id in functions:
            fn = functions[logical_id]
            fates.append(Fate(logical_id, rtype, SERVED if fn.handler else "refused",
                              _how_it_runs(fn) if fn.handler
                              else fn.refused))
        elif rtype == roles_mod.ROLE and identities.name_of(logical_id, resource) in roles:
            role = identities.name_of(logical_id, resource)
            fates.append(Fate(logical_id, rtype, SERVED, f"IAM role {role}: its execute-api statements are set up "
                                                         f"at start (gatepost iam assume-role {role})"))
        elif granted := roles_mod.granted_to(resolver, logical_id, resource, roles):
            fates.append(Fate(logical_id, rtype, SERVED, f"execute-api statements of IAM role(s) {', '.join(granted)}"))
        elif rtype in (*raw_rest.TYPES, *raw_http.TYPES) and _api_target(resource) in found.apis:
            fates.append(Fate(logical_id, rtype, SERVED, f"part of API {_api_target(resource)}"))
        elif rtype in pools_mod.TYPES:
            fates.append(Fate(logical_id, rtype, SERVED, "part of a built-in user pool (user_pools:)"))
        elif rtype in (usage_mod.PLAN, usage_mod.KEY, usage_mod.PLAN_KEY):
            fates.append(Fate(logical_id, rtype, SERVED, "usage plan / API key (usage_plans:, usage.demo_key)"))
        elif logical_id in settings.deployments:
            refused = "".join(f"; refused: {r}" for r in settings.refused.get(logical_id, []))
            fates.append(Fate(logical_id, rtype, SERVED, f"its StageDescription: the stage of API "
                                                         f"{_api_target(resource)}{refused}"))
        elif logical_id in mounts.fates:
            fates.append(Fate(logical_id, rtype, *mounts.fates[logical_id]))
        elif rtype in apis_mod.STAGES.values() and _api_target(resource) in stage_apis:
            refused = "".join(f"; refused: {r}" for r in settings.refused.get(logical_id, []))
            fates.append(Fate(logical_id, rtype, SERVED, f"the stage of API {_api_target(resource)}{refused}"))
        else:
            fates.append(default_fate(logical_id, rtype, resource))
    lines = [f.line() for f in fates]
    lines += [f"note: {n}" for n in [*pools.notes, *plans.notes, *settings.notes]]
    for served in found.apis.values():
        lines += [f"PUBLIC: {served.name}: {route}" for route in served.imported.public]
    counts = summary(fates)
    lines.append("resources: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return lines


def _how_it_runs(fn: functions_mod.Function) -> str:
    if fn.runtime == "nodejs":
        return f"runs with node (its own process) (timeout {fn.timeout_ms} ms)"
    return f"runs in-process as {fn.handler} (timeout {fn.timeout_ms} ms)"


def _api_target(resource: Mapping[str, Any]) -> str | None:
    props = resource.get("Properties") or {}
    target = props.get("RestApiId") or props.get("ApiId")
    return str(target["Ref"]) if isinstance(target, Mapping) and "Ref" in target else None
