"""An AWS export + its bindings -> the equivalent native config dict and the fate of every element.

`convert` is the import's one entry point (the CLI, `load`, and any producer of OpenAPI bodies call it):
document in, native config + report out. Every operation becomes one route, in document order. Its
security decides the authorizer (security.py); its integration the native integration (integrations.py).
Every element of the document gets a fate in the ledger (fates.py); what no mapper read is refused by the
ledger's walk, so nothing is dropped without a word. A route any of whose parts was refused is left out
(never served with less protection than its document says).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.openapi.bindings import Bindings
from gatepost.openapi.context import Ctx, ImportOptions
from gatepost.openapi.document import INTEGRATION, Document, Operation
from gatepost.openapi.documentation import record_operation, record_path_item, record_root
from gatepost.openapi.extensions import map_root_extensions
from gatepost.openapi.fates import Path, Report
from gatepost.openapi.flavour import Flavour, decide
from gatepost.openapi.integrations import map_integration
from gatepost.openapi.schemes import map_authorizers
from gatepost.openapi.security import route_auth
from gatepost.openapi.validators import map_validation, record_validators, validator_place

EMBEDDED_BINDINGS = "x-gatepost-bindings"
SHARED_INTEGRATIONS = "x-amazon-apigateway-integrations"
_API_RESERVED = ("authorizers", "routes", "integration")


@dataclass
class Imported:
    config: dict[str, Any]
    api_name: str
    flavour: Flavour
    report: Report
    public: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # routes a partial import did not serve
    origins: dict[Path, Path] = field(default_factory=dict)


@dataclass
class _Candidate:
    op: Operation
    route: dict[str, Any]
    depends_on: list[Path]
    public_reason: str


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "api"


def convert(data: Mapping[str, Any], bindings: Bindings, options: ImportOptions = ImportOptions()) -> Imported:
    doc = Document(data)
    flavour = decide(doc, options.flavour or bindings.api.get("flavour"),
                     "--flavour" if options.flavour else "bindings api.flavour:")
    ctx = Ctx(flavour.name, bindings, options)
    name = str(bindings.api.get("name") or slug(doc.title))
    record_root(doc, ctx)
    if EMBEDDED_BINDINGS in data:
        ctx.done((EMBEDDED_BINDINGS,), "the bindings (local targets of the document's AWS names)")
    api = _api_settings(doc, ctx)
    map_root_extensions(doc, api, ctx)
    record_validators(doc, ctx)
    used: dict[str, list[str]] = {}
    candidates = _candidates(doc, ctx, used)
    _shared_integrations(doc, ctx)
    api["authorizers"] = map_authorizers(doc, used, ctx)
    report = ctx.ledger.close(data)
    result = Imported({}, name, flavour, report)
    routes: list[dict[str, Any]] = []
    for c in candidates:
        if any(_refused_under(report, at) for at in c.depends_on):
            result.left_out.append(c.op.route_key)
            continue
        if "public" in c.route:
            result.public.append(f"{c.op.route_key}  ({c.public_reason})")
        result.origins[("apis", name, "routes", len(routes))] = c.op.loc
        routes.append(c.route)
    api["authorizers"] = {k: v for k, v in api["authorizers"].items() if any(r.get("authorizer") == k
                                                                             for r in routes)}
    api["routes"] = routes
    _api_origins(doc, api, name, result)
    if report.refused:
        api["not_imported"] = [f"{e.pointer or '(document)'}: {e.detail}" for e in report.refused]
    result.config = _native(api, name, bindings)
    return result


def _api_origins(doc: Document, api: Mapping[str, Any], name: str, result: Imported) -> None:
    """Where native API settings came from, so that later (validation, compile) errors name the document."""
    for native, source in (("resource_policy", "policy"), ("gateway_responses", "gateway-responses"),
                           ("cors", "cors")):
        if native in api:
            result.origins[("apis", name, native)] = (f"x-amazon-apigateway-{source}",)
    for scheme in api["authorizers"]:
        result.origins[("apis", name, "authorizers", scheme)] = (*doc.schemes_loc(), scheme)


def _refused_under(report: Report, at: Path) -> bool:
    n = len(at)
    return any(e.path[:n] == at for e in report.refused)


def _candidates(doc: Document, ctx: Ctx, used: dict[str, list[str]]) -> list[_Candidate]:
    paths = doc.data.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        ctx.refuse(("paths",), "the document has no operations", "add paths with operations")
        return []
    for path, item in paths.items():
        if isinstance(item, Mapping):
            record_path_item(str(path), item, ctx)
    out = []
    for op in doc.operations():
        record_operation(op, ctx)
        candidate = _route(doc, op, ctx, used)
        if candidate is not None:
            out.append(candidate)
    return out


def _api_settings(doc: Document, ctx: Ctx) -> dict[str, Any]:
    api_id, region = doc.api_id_and_region()
    arn_region, account = doc.first_arn_account()
    api: dict[str, Any] = {"flavour": ctx.flavour}
    for key, value in (("api_id", api_id), ("stage", doc.stage() if ctx.flavour == "rest" else None),
                       ("region", region or arn_region), ("account_id", account)):
        if value:
            api[key] = value
    for key, value in ctx.bindings.api.items():
        if key in _API_RESERVED:
            ctx.refuse((EMBEDDED_BINDINGS, "api", key), f"bindings api.{key} would replace what the document "
                       "declares", f"remove `{key}` from the bindings' api: section")
        elif key not in ("name", "flavour"):
            api[key] = value
    return api


def _route(doc: Document, op: Operation, ctx: Ctx, used: dict[str, list[str]]) -> _Candidate | None:
    if op.is_default_route and ctx.flavour != "http":
        ctx.refuse(op.loc, f"{op.label}: $default routes exist on HTTP APIs only", 'use "/{proxy+}"')
        return None
    auth = route_auth(doc, op, ctx)
    if auth.api_key and ctx.flavour != "rest":
        ctx.refuse(auth.depends_on[0], f"{op.label}: API keys exist on REST APIs only",
                   "remove the api_key requirement")
    if auth.authorizer is not None:
        used.setdefault(auth.authorizer, []).append(op.route_key)
    integ, at = doc.integration_of(op)
    if at != (*op.loc, INTEGRATION):
        ctx.done((*op.loc, INTEGRATION), f"the shared integration #{'/'.join(map(str, at))}")
    integration = map_integration(op, integ, at, ctx)  # None only with a refusal: the route is left out
    route: dict[str, Any] = {"route": op.route_key}
    if auth.authorizer is None:
        route["public"] = True
    else:
        route["authorizer"] = auth.authorizer
    if auth.scopes:
        route["scopes"] = auth.scopes
    if auth.api_key:
        route["api_key_required"] = True
    route["integration"] = integration
    validation = map_validation(doc, op, ctx)
    if validation is not None:
        route["request_validation"] = validation
    deps = [op.loc, at, *auth.depends_on, *filter(None, [validator_place(doc, op)])]
    return _Candidate(op, route, deps, auth.public_reason)


def _shared_integrations(doc: Document, ctx: Ctx) -> None:
    components = doc.data.get("components")
    shared = components.get(SHARED_INTEGRATIONS) if isinstance(components, Mapping) else None
    if not isinstance(shared, Mapping):
        return
    for key in shared:
        at = ("components", SHARED_INTEGRATIONS, key)
        if ctx.ledger.recorded((*at, "type")) is None and ctx.ledger.recorded(at) is None:
            ctx.same(at, "referred to by no operation: nothing to convert")


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
