"""Security schemes -> native authorizers, each field of each scheme given a fate (authorizers.py maps them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.openapi.authorizers import classify, map_scheme
from gatepost.openapi.context import Ctx
from gatepost.openapi.document import Document
from gatepost.openapi.fates import Path
from gatepost.openapi.security import IAM_NAME

AUTHORIZER = "x-amazon-apigateway-authorizer"
_SCHEME_READ = ("type", "name", "in", "x-amazon-apigateway-authtype", "openIdConnectUrl")
_SCHEME_DOCS = ("description", "flows", "scheme", "bearerFormat")
_AUTHORIZER_READ = ("type", "authorizerUri", "identitySource", "identityValidationExpression",
                    "authorizerResultTtlInSeconds", "providerARNs", "authorizerPayloadFormatVersion",
                    "enableSimpleResponses")
_JWT_READ = ("issuer", "audience")


def map_authorizers(doc: Document, used: Mapping[str, list[str]], ctx: Ctx) -> dict[str, Any]:
    """The native `authorizers:` of the schemes operations use; unused schemes are recorded as such."""
    out: dict[str, Any] = {}
    schemes = doc.schemes()
    for name, ops in used.items():
        if name == IAM_NAME and name not in schemes:
            out[name] = {"type": "iam"}
            continue
        at = (*doc.schemes_loc(), name)
        mapped = map_scheme(schemes[name], ctx.flavour, ctx.bindings)
        label = f"security scheme {name!r} (used by {', '.join(ops)})"
        for problem, fix in mapped.problems:
            ctx.refuse(at, f"{label}: {problem}", fix)
        if mapped.config is not None:
            out[name] = mapped.config
            _record_fields(schemes[name], at, f"authorizers.{name} ({mapped.config['type']})", ctx)
    for name, scheme in schemes.items():
        at = (*doc.schemes_loc(), name)
        if name in used:
            continue
        if isinstance(scheme, Mapping) and classify(scheme) == "api_key":
            ctx.done(at, "the API key header (x-api-key): api_key_required on the routes that require it")
        else:
            ctx.same(at, "used by no operation: nothing to enforce (AWS creates no authorizer method for it)")
    return out


def _record_fields(scheme: Mapping[str, Any], at: Path, to: str, ctx: Ctx) -> None:
    for key in scheme:
        if key in _SCHEME_READ:
            ctx.done((*at, key), to)
        elif key in _SCHEME_DOCS:
            ctx.same((*at, key), "OpenAPI description of the scheme: API Gateway enforces the authorizer, not it")
    auth = scheme.get(AUTHORIZER)
    if not isinstance(auth, Mapping):
        return
    for key in auth:
        where = (*at, AUTHORIZER, key)
        if key in _AUTHORIZER_READ:
            ctx.done(where, to)
        elif key == "authorizerCredentials":
            ctx.same(where, "the role API Gateway assumes to call the authorizer: the bound function is called "
                     "directly")
        elif key == "jwtConfiguration" and isinstance(auth[key], Mapping):
            for sub in auth[key]:
                if sub in _JWT_READ:
                    ctx.done((*where, sub), to)
