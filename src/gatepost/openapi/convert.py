"""An AWS export + its bindings -> the equivalent native config dict (validated afterwards like any config).

Every operation becomes one route, in document order. Its security decides the authorizer: a security
scheme (authorizer or SigV4), `x-amazon-apigateway-auth: AWS_IAM`, or nothing: an operation without
security is public on AWS and is imported as `public: true` and listed in `Imported.public`. Every
problem is collected with the operation or scheme it belongs to; nothing is silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.config.located import Loc, Located
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.openapi.authorizers import Problem, classify, map_scheme
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.document import Document, Operation
from gatepost.openapi.integrations import map_integration
from gatepost.openapi.responses import map_cors, map_gateway_responses

PREFIX = "x-amazon-apigateway-"
API_KEY_HEADER = "x-api-key"
IAM_NAME = "AWS_IAM"  # the authorizer standing for x-amazon-apigateway-auth: AWS_IAM
# Extensions that do not change who may call what; read past (request validation is listed by `import`).
IGNORED = frozenset({
    "minimum-compression-size", "documentation", "endpoint-configuration",
    "importexport-version", "tag-value", "request-validators", "request-validator", "disable-execute-api-endpoint",
    "api-key-source", "policy", "gateway-responses", "cors", "integration", "auth", "any-method", "binary-media-types",
})
_SCOPED_TYPES = ("cognito_user_pools", "jwt")
_API_RESERVED = ("authorizers", "routes", "integration")


@dataclass
class Imported:
    config: dict[str, Any]
    api_name: str
    public: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    origins: dict[Loc, Loc] = field(default_factory=dict)


@dataclass
class _RouteAuth:
    authorizer: str | None = None
    scopes: list[str] = field(default_factory=list)
    api_key: bool = False
    public_reason: str = ""


class _Problems:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.items: list[ConfigIssue] = []

    def add(self, loc: Loc, problems: list[Problem]) -> None:
        for problem, fix in problems:
            self.items.append(self.located.issue(loc, problem, fix))


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "api"


def convert(data: Mapping[str, Any], located: Located, bindings: Bindings) -> Imported:
    doc = Document(data)
    problems = _Problems(located)
    flavour = str(bindings.api.get("flavour") or ("http" if doc.looks_like_http_api() else "rest"))
    name = str(bindings.api.get("name") or slug(doc.title))
    api = _api_settings(doc, flavour, bindings, problems)
    result = Imported({}, name)
    _root_extensions(doc, flavour, api, problems, result)
    schemes = doc.schemes()
    used: dict[str, list[str]] = {}  # authorizer name -> the operations using it
    routes: list[dict[str, Any]] = []
    for op in doc.operations():
        route = _route(doc, op, schemes, flavour, bindings, problems, used, result)
        if route is not None:
            result.origins[("apis", name, "routes", len(routes))] = op.loc
            routes.append(route)
    api["authorizers"] = _authorizers(doc, used, schemes, flavour, bindings, problems, name, result)
    api["routes"] = routes
    if not routes and not problems.items:
        problems.add(("paths",), [("the document has no operations", "add paths with operations")])
    if problems.items:
        raise ConfigError(problems.items)
    result.config = _native(api, name, bindings)
    return result


def _api_settings(doc: Document, flavour: str, bindings: Bindings, problems: _Problems) -> dict[str, Any]:
    api_id, region = doc.api_id_and_region()
    arn_region, account = doc.first_arn_account()
    api: dict[str, Any] = {"flavour": flavour}
    for key, value in (("api_id", api_id), ("stage", doc.stage() if flavour == "rest" else None),
                       ("region", region or arn_region), ("account_id", account)):
        if value:
            api[key] = value
    for key, value in bindings.api.items():
        if key in _API_RESERVED:
            problems.add((), [(f"bindings api.{key} would replace what the document declares",
                               f"remove `{key}` from the bindings' api: section")])
        elif key not in ("name", "flavour"):
            api[key] = value
    return api


def _root_extensions(doc: Document, flavour: str, api: dict[str, Any], problems: _Problems,
                     result: Imported) -> None:
    data, name = doc.data, result.api_name
    for key in data:
        if str(key).startswith(PREFIX) and str(key)[len(PREFIX):] not in IGNORED:
            problems.add((key,), [(f"{key} is not supported", "remove it; see docs/explain-audit-probe.md")])
    if "x-amazon-apigateway-request-validators" in data:
        result.notes.append("request validators are not applied: requests AWS would refuse with 400 reach the "
                            "integration")
    source = data.get(f"{PREFIX}api-key-source")
    if source is not None:
        if str(source).upper() not in ("HEADER", "AUTHORIZER") or flavour != "rest":
            problems.add((f"{PREFIX}api-key-source",), [(f"api key source {source!r} needs a REST API and "
                                                         "HEADER or AUTHORIZER", "fix the value")])
        api["api_key_source"] = str(source).upper()
    binary = data.get(f"{PREFIX}binary-media-types")
    if binary is not None:
        if flavour != "rest" or not isinstance(binary, list) or not all(isinstance(t, str) for t in binary):
            problems.add((f"{PREFIX}binary-media-types",), [("binary media types need a REST API and a list of "
                                                             "media types", "fix or remove it")])
        else:
            api["binary_media_types"] = list(binary)
    policy = data.get(f"{PREFIX}policy")
    if policy is not None:
        if flavour != "rest":
            problems.add((f"{PREFIX}policy",), [("resource policies exist on REST APIs only", "remove it")])
        api["resource_policy"] = policy
        result.origins[("apis", name, "resource_policy")] = (f"{PREFIX}policy",)
    raw_responses = data.get(f"{PREFIX}gateway-responses")
    if raw_responses is not None:
        responses, found = map_gateway_responses(raw_responses)
        problems.add((f"{PREFIX}gateway-responses",), found)
        api["gateway_responses"] = responses
        result.origins[("apis", name, "gateway_responses")] = (f"{PREFIX}gateway-responses",)
    raw_cors = data.get(f"{PREFIX}cors")
    if raw_cors is not None:
        cors, found = map_cors(raw_cors)
        problems.add((f"{PREFIX}cors",), found)
        api["cors"] = cors
        result.origins[("apis", name, "cors")] = (f"{PREFIX}cors",)


def _route(doc: Document, op: Operation, schemes: Mapping[str, Any], flavour: str, bindings: Bindings,
           problems: _Problems, used: dict[str, list[str]], result: Imported) -> dict[str, Any] | None:
    for key in op.op:
        if str(key).startswith(PREFIX) and str(key)[len(PREFIX):] not in IGNORED:
            problems.add((*op.loc, key), [(f"{op.label}: {key} is not supported", "remove it")])
    if op.is_default_route and flavour != "http":
        problems.add(op.loc, [(f"{op.label}: $default routes exist on HTTP APIs only", 'use "/{proxy+}"')])
        return None
    auth, found = _route_auth(doc, op, schemes)
    if auth.api_key and flavour != "rest":
        found.append(("API keys exist on REST APIs only", "remove the api_key requirement"))
    if f"{PREFIX}request-validator" in op.op:
        result.notes.append(f"{op.route_key}: its request validator is not applied")
    if auth.authorizer is not None:
        used.setdefault(auth.authorizer, []).append(op.route_key)
    integration = map_integration(op, flavour, bindings)
    problems.add(op.loc, [(f"{op.label}: {p}" if not p.startswith(op.label) else p, f) for p, f in
                          found + integration.problems])
    if found or integration.config is None:
        return None
    route: dict[str, Any] = {"route": op.route_key}
    if auth.authorizer is None:
        route["public"] = True
        result.public.append(f"{op.route_key}  ({auth.public_reason})")
    else:
        route["authorizer"] = auth.authorizer
    if auth.scopes:
        route["scopes"] = auth.scopes
    if auth.api_key:
        route["api_key_required"] = True
    route["integration"] = integration.config
    return route


def _route_auth(doc: Document, op: Operation, schemes: Mapping[str, Any]) -> tuple[_RouteAuth, list[Problem]]:
    auth, problems = _RouteAuth(), []
    security = doc.security_of(op) or []
    if not isinstance(security, list):
        return auth, [("`security` must be a list of requirement objects", "write security: [{Scheme: []}]")]
    if len(security) > 1:
        return auth, [("several alternative security requirements; API Gateway applies one authorizer per "
                       "method", "keep one requirement object (schemes inside one object are AND-ed)")]
    for scheme_name, scopes in (security[0] if security else {}).items():
        scheme = schemes.get(scheme_name)
        if not isinstance(scheme, Mapping):
            problems.append((f"security scheme {scheme_name!r} is not declared", "declare it or remove it"))
            continue
        kind = classify(scheme)
        if kind == "api_key":
            if str(scheme.get("name", "")).lower() != API_KEY_HEADER or scheme.get("in") != "header":
                problems.append((f"API key scheme {scheme_name!r} must be the x-api-key header",
                                 "set name: x-api-key, in: header"))
            auth.api_key = True
        elif auth.authorizer is not None:
            problems.append(("two authorizers on one operation", "keep one (plus api_key if needed)"))
        else:
            auth.authorizer = str(scheme_name)
            auth.scopes = [str(s) for s in scopes or []]
            atype = str((scheme.get("x-amazon-apigateway-authorizer") or {}).get("type", "")).lower()
            if auth.scopes and atype not in _SCOPED_TYPES:
                problems.append((f"scopes on scheme {scheme_name!r}: only Cognito and JWT authorizers check "
                                 "scopes (AWS ignores them here)", "remove the scopes from the requirement"))
    return _explicit_auth(op, auth, problems)


def _explicit_auth(op: Operation, auth: _RouteAuth, problems: list[Problem]) -> tuple[_RouteAuth, list[Problem]]:
    ext = op.op.get(f"{PREFIX}auth")
    atype = str(ext.get("type", "")).upper() if isinstance(ext, Mapping) else None
    if atype == "AWS_IAM":
        if auth.authorizer is not None:
            problems.append(("x-amazon-apigateway-auth AWS_IAM and a security authorizer", "keep one"))
        auth.authorizer = IAM_NAME
    elif atype == "NONE":
        if auth.authorizer is not None:
            problems.append(("x-amazon-apigateway-auth NONE contradicts the operation's security", "keep one"))
        auth.public_reason = "x-amazon-apigateway-auth: NONE"
    elif atype is not None:
        problems.append((f"x-amazon-apigateway-auth type {atype!r} is not supported", "use NONE or AWS_IAM"))
    if auth.authorizer is None and not auth.public_reason:
        auth.public_reason = "API key only" if auth.api_key else "no security"
    return auth, problems


def _authorizers(doc: Document, used: dict[str, list[str]], schemes: Mapping[str, Any], flavour: str,
                 bindings: Bindings, problems: _Problems, api_name: str, result: Imported) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, ops in used.items():
        if name == IAM_NAME and name not in schemes:
            out[name] = {"type": "iam"}
            continue
        loc = (*doc.schemes_loc(), name)
        mapped = map_scheme(schemes[name], flavour, bindings)
        label = f"security scheme {name!r} (used by {', '.join(ops)})"
        problems.add(loc, [(f"{label}: {p}", f) for p, f in mapped.problems])
        if mapped.config is not None:
            out[name] = mapped.config
            result.origins[("apis", api_name, "authorizers", name)] = loc
    for name in schemes:
        if name not in used and classify(schemes[name]) != "api_key":
            result.notes.append(f"security scheme {name!r} is used by no operation: not imported")
    return out


def _native(api: dict[str, Any], name: str, bindings: Bindings) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for section in ("server", "state", "sidecars"):
        value = getattr(bindings, section)
        if value is not None:
            config[section] = value
    config["apis"] = {name: api}
    if bindings.usage_plans is not None:
        config["usage_plans"] = bindings.usage_plans
    return config
