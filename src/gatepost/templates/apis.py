"""A template's APIs -> native APIs, through the OpenAPI import (openapi/convert.py), so a template and an
export of the same API never disagree.

A REST API (`AWS::ApiGateway::RestApi`) or HTTP API (`AWS::ApiGatewayV2::Api`) with an OpenAPI `Body`
(what the SAM translator writes, or a local file read in by include.py) is resolved (intrinsics.py) and
imported with bindings made from the template itself: each Lambda ARN -> the local function, each user
pool ARN or issuer -> the built-in pool standing for it. Two things are normalised first, as API Gateway
reads them: SAM writes an authorizer and `api_key` as two security entries, which API Gateway enforces
both (merged into one requirement here), and `NONE` as a scheme name for "no authorizer" (public).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.config.located import Loc, Located, place
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.integrations.registry import KINDS as INTEGRATION_KINDS
from gatepost.openapi.bindings import Bindings, FunctionBinding, IssuerBinding, UserPoolBinding
from gatepost.openapi.convert import Imported, convert
from gatepost.templates import raw_http, raw_rest
from gatepost.templates.decode import TemplateLocated
from gatepost.templates.functions import Function
from gatepost.templates.intrinsics import Resolver, included
from gatepost.templates.pools import Pools

log = logging.getLogger("gatepost.templates")

REST = "AWS::ApiGateway::RestApi"
HTTP = "AWS::ApiGatewayV2::Api"
STAGES = {REST: "AWS::ApiGateway::Stage", HTTP: "AWS::ApiGatewayV2::Stage"}
DEPLOYMENT = "AWS::ApiGateway::Deployment"
_POOL_MARK = "gatepost-template-pool:"


@dataclass
class Api:
    name: str
    imported: Imported
    api_id: str
    located: Located  # places in the imported document -> lines of the template


@dataclass
class Apis:
    apis: dict[str, Api] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # logical ids read to build them


class BodyLocated(Located):
    """Places inside one resource's Body, located in the template (or at the resource, for generated Bodies)."""

    def __init__(self, template: TemplateLocated, logical_id: str, data: Any, original: Located | None) -> None:
        self.file = template.file
        self.data = data
        self.lines = template.lines
        self.prefix: Loc = ("Resources", logical_id, "Properties", "Body")
        self.original = original

    def line(self, loc: Loc) -> int | None:
        if (*self.prefix, *loc) in self.lines:
            return self.lines[(*self.prefix, *loc)]
        if self.original is not None:
            return self.original.line(self.prefix[:2])
        return super().line(self.prefix[:2])

    def issue(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        line = self.line(loc)
        where = place((*self.prefix, *loc))
        return ConfigIssue(f"{self.file}:{line}" if line else self.file, where, problem, fix)


class SynthesizedLocated(Located):
    """Places in a document made from raw resources (raw_rest.py, raw_http.py) -> the resource each came from."""

    def __init__(self, template: TemplateLocated, origins: Mapping[Loc, Loc], original: Located | None) -> None:
        self.file = template.file
        self.data = template.data
        self.lines = template.lines
        self.origins = origins
        self.original = original or template

    def _origin(self, loc: Loc) -> Loc:
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.origins:
                return self.origins[loc[:n]]
        return ("Resources",)

    def line(self, loc: Loc) -> int | None:
        return self.original.line(self._origin(loc))

    def issue(self, loc: Loc, problem: str, fix: str = "") -> ConfigIssue:
        return self.original.issue(self._origin(loc), problem, fix)


def collect(resolver: Resolver, located: TemplateLocated, functions: Mapping[str, Function], pools: Pools,
            original: Located | None) -> Apis:
    out = Apis()
    issues: list[ConfigIssue] = []
    for logical_id, resource in resolver.resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in (REST, HTTP):
            continue
        loc = ("Resources", logical_id)
        if not included(resource, resolver, loc):
            continue
        props = resource.get("Properties") or {}
        if not isinstance(props, Mapping):
            continue
        try:
            out.apis[logical_id] = _import(logical_id, str(resource["Type"]), props, resolver, located, functions,
                                           pools, original)
        except ConfigError as exc:
            issues += exc.issues
        out.used.add(logical_id)
    if issues:
        raise ConfigError(issues)
    return out


def stage_of(resolver: Resolver, logical_id: str, rtype: str) -> str | None:
    """The StageName of the (first) Stage resource deploying this API."""
    for sid, resource in resolver.resources.items():
        if isinstance(resource, Mapping) and resource.get("Type") == STAGES[rtype]:
            props = resource.get("Properties") or {}
            target = props.get("RestApiId") or props.get("ApiId")
            if target == {"Ref": logical_id}:
                return str(resolver.resolve(props.get("StageName"), ("Resources", sid, "Properties", "StageName")))
    for did, resource in resolver.resources.items():  # a REST Deployment with StageName creates that stage
        if isinstance(resource, Mapping) and resource.get("Type") == DEPLOYMENT and rtype == REST:
            props = resource.get("Properties") or {}
            if props.get("RestApiId") == {"Ref": logical_id} and props.get("StageName") is not None:
                return str(resolver.resolve(props["StageName"], ("Resources", did, "Properties", "StageName")))
    return None


def _import(logical_id: str, rtype: str, props: Mapping[str, Any], resolver: Resolver, located: TemplateLocated,
            functions: Mapping[str, Function], pools: Pools, original: Located | None) -> Api:
    loc: Loc = ("Resources", logical_id, "Properties")
    if rtype == HTTP and str(props.get("ProtocolType", "HTTP")).upper() != "HTTP":
        raise ConfigError([located.issue((*loc, "ProtocolType"), "WebSocket APIs are not served",
                                         "serve REST or HTTP APIs only")])
    pseudo = resolver.params.pseudo
    api_id = str(resolver.resolve({"Ref": logical_id}))
    origins: dict[Loc, Loc] = {}
    if "Body" in props:
        body = normalise_security(resolver.resolve(props["Body"], (*loc, "Body")))
    elif rtype == REST:
        body = raw_rest.synthesize(resolver, logical_id, api_id, resolver.resolve(props, loc), origins)
    else:
        body = raw_http.synthesize(resolver, logical_id, api_id, origins)
    if body is None:
        what = "Method" if rtype == REST else "Route"
        raise ConfigError([located.issue(loc, f"API {logical_id} has no Body and no {what} resources: nothing to "
                                              "serve", f"give it a Body (OpenAPI) or AWS::ApiGateway(V2)::{what} "
                                              "resources")])
    if not isinstance(body, dict):
        raise ConfigError([located.issue((*loc, "Body"), "Body must be an OpenAPI document", "see docs/templates.md")])
    api: dict[str, Any] = {"name": logical_id, "flavour": "rest" if rtype == REST else "http", "api_id": api_id,
                           "region": pseudo.region, "account_id": pseudo.account_id}
    stage = stage_of(resolver, logical_id, rtype)
    if stage and rtype == REST:
        api["stage"] = stage
    if rtype == REST and props.get("Policy") is not None:
        body.setdefault("x-amazon-apigateway-policy", resolver.resolve(props["Policy"], (*loc, "Policy")))
    bindings = _bindings(api, functions, pools)
    body_located: Located = SynthesizedLocated(located, origins, original) if origins else \
        BodyLocated(located, logical_id, body, original)
    imported = convert(body, bindings)  # every element of the Body gets a fate; refusals fail the template
    refused = [body_located.issue(e.path, e.detail, e.fix) for e in imported.report.refused]
    if refused:
        raise ConfigError([*refused, *_refusals(functions, body)])
    _builtin_pools(imported, logical_id, pools)
    _function_settings(imported, logical_id, functions)
    return Api(logical_id, imported, api_id, body_located)


def normalise_security(body: Any) -> Any:
    """SAM's `[{api_key: []}, {Authorizer: []}]` -> one requirement (API Gateway enforces both); `NONE` -> []."""
    if not isinstance(body, dict):
        return body
    body = copy.deepcopy(body)
    for item in (body.get("paths") or {}).values():
        for op in (item.values() if isinstance(item, dict) else []):
            if isinstance(op, dict) and isinstance(op.get("security"), list):
                merged: dict[str, Any] = {}
                for requirement in op["security"]:
                    if isinstance(requirement, Mapping):
                        merged.update({k: v for k, v in requirement.items() if k != "NONE"})
                op["security"] = [merged] if merged else []
    return body


def _bindings(api: dict[str, Any], functions: Mapping[str, Function], pools: Pools) -> Bindings:
    return Bindings(
        api=api,
        functions={fn.arn: FunctionBinding(handler=fn.handler) for fn in functions.values() if fn.handler},
        user_pools={arn: UserPoolBinding(issuer=_POOL_MARK + name) for arn, name in pools.by_arn.items()},
        issuers={issuer: IssuerBinding(issuer=_POOL_MARK + name) for issuer, name in pools.by_issuer.items()},
    )


def _refusals(functions: Mapping[str, Function], body: Any) -> list[ConfigIssue]:
    text = repr(body)
    return [ConfigIssue(f"Resources.{fn.logical_id}", fn.arn, f"function {fn.logical_id} cannot run here: "
                        f"{fn.refused}", "see docs/templates.md (functions)")
            for fn in functions.values() if fn.refused and fn.arn in text]


def _builtin_pools(imported: Imported, api_name: str, pools: Pools) -> None:
    """Authorizers bound to a template pool -> `builtin:` that pool (its keys are read in process)."""
    api = imported.config["apis"][imported.api_name]
    for name, cfg in list(api.get("authorizers", {}).items()):
        issuer = str(cfg.get("issuer", ""))
        if not issuer.startswith(_POOL_MARK):
            continue
        pool = issuer.removeprefix(_POOL_MARK)
        native: dict[str, Any] = {"type": "user_pool", "builtin": pool}
        if cfg.get("identity_source"):
            native["identity_source"] = cfg["identity_source"]
        clients = cfg.get("app_clients") or cfg.get("audiences") or []
        if clients:
            native["app_clients"] = list(clients)
        api["authorizers"][name] = native


def _function_settings(imported: Imported, api_name: str, functions: Mapping[str, Function]) -> None:
    """A function's Timeout bounds the integration's (the smaller of the two wins, as on AWS)."""
    by_name = {fn.name: fn for fn in functions.values()}
    api = imported.config["apis"][imported.api_name]
    for route in api.get("routes", []):
        integ = route.get("integration") or {}
        fn = by_name.get(str(integ.get("function_name")))
        if integ.get("type") == "lambda" and fn is not None:
            integ["timeout_ms"] = min(int(integ.get("timeout_ms", 29_000)), fn.timeout_ms)
            fields = INTEGRATION_KINDS["lambda"].model.model_fields
            if "environment" in fields and fn.runtime == "python":
                integ["environment"] = dict(fn.environment)
            if "memory_mb" in fields:
                integ["memory_mb"] = max(128, fn.memory_mb)
