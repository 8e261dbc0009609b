"""x-amazon-apigateway-request-validators -> a route's `request_validation:` (request_validation.py).

The document declares named validators (`validateRequestBody`, `validateRequestParameters`); the top-level
`x-amazon-apigateway-request-validator` names the default one, an operation's its own. For an operation
with a validator: parameters marked `required: true` (header, query string, path; the path item's and the
operation's, `$ref`s followed) become `required:`; the body's model (OpenAPI 3 `requestBody.content`,
Swagger 2's `in: body` parameter, `$ref`s to `components/schemas` / `definitions` kept resolvable) becomes
`body:` by content type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.openapi.context import PARTIAL_FIX, Ctx
from gatepost.openapi.document import Document, Operation
from gatepost.openapi.fates import Path

VALIDATORS = "x-amazon-apigateway-request-validators"
VALIDATOR = "x-amazon-apigateway-request-validator"
_FLAGS = ("validateRequestBody", "validateRequestParameters")
_PLACES = {"header": "header", "query": "query", "path": "path"}


def record_validators(doc: Document, ctx: Ctx) -> None:
    raw = doc.data.get(VALIDATORS)
    if raw is not None and not isinstance(raw, Mapping):
        ctx.refuse((VALIDATORS,), "request validators must be a mapping of names", "see AWS's request validators")
    for name, spec in (raw or {}).items():
        for key in spec if isinstance(spec, Mapping) else ():
            if key in _FLAGS:
                ctx.done((VALIDATORS, name, key), "request_validation of the routes using this validator")
    if VALIDATOR in doc.data:
        ctx.done((VALIDATOR,), "the request validator of every operation without its own")


def validator_place(doc: Document, op: Operation) -> Path | None:
    if VALIDATOR in op.op:
        return (*op.loc, VALIDATOR)
    return (VALIDATOR,) if VALIDATOR in doc.data else None


def map_validation(doc: Document, op: Operation, ctx: Ctx) -> dict[str, Any] | None:
    at = validator_place(doc, op)
    if at is None:
        return None
    name = op.op[VALIDATOR] if VALIDATOR in op.op else doc.data[VALIDATOR]
    spec = (doc.data.get(VALIDATORS) or {}).get(name)
    if not isinstance(spec, Mapping):
        ctx.refuse(at, f"{op.label}: request validator {name!r} is not declared in {VALIDATORS}",
                   "declare it, or remove the reference")
        return None
    ctx.done(at, f"request_validation ({name})")
    out: dict[str, Any] = {}
    if spec.get("validateRequestParameters"):
        out["required"] = _required(doc, op, ctx)
    if spec.get("validateRequestBody"):
        body = _body_models(doc, op, ctx)
        if body:
            out["body"] = body
    return {k: v for k, v in out.items() if v} or None


def _resolve_from_root(doc: Document, node: Any) -> Any:
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    found: Any = doc.data
    for part in ref[2:].split("/"):
        found = found.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(found, Mapping) else None
    return found


def _parameters(doc: Document, op: Operation) -> list[tuple[Path, Mapping[str, Any]]]:
    """The path item's parameters, then the operation's (which override by name and place)."""
    item = (doc.data.get("paths") or {}).get(op.path) or {}
    found: dict[tuple[str, str], tuple[Path, Mapping[str, Any]]] = {}
    for loc, params in ((("paths", op.path, "parameters"), item.get("parameters")),
                        ((*op.loc, "parameters"), op.op.get("parameters"))):
        for i, raw in enumerate(params if isinstance(params, list) else []):
            param = _resolve_from_root(doc, raw)
            if isinstance(param, Mapping):
                found[(str(param.get("name")), str(param.get("in")))] = ((*loc, i), param)
    return list(found.values())


def _required(doc: Document, op: Operation, ctx: Ctx) -> list[str]:
    out = []
    for at, param in _parameters(doc, op):
        place = str(param.get("in"))
        if place == "body":
            continue  # Swagger 2's body: a model, see _body_models
        if not param.get("required"):
            ctx.same(at, "an optional parameter: nothing to validate")
        elif place in _PLACES:
            out.append(f"{_PLACES[place]}.{param.get('name')}")
            ctx.done(at, f"request_validation.required: {_PLACES[place]}.{param.get('name')}")
        else:
            ctx.refuse(at, f"{op.label}: required {place} parameter {param.get('name')!r} cannot be validated",
                       f"validate header, query string and path parameters only, {PARTIAL_FIX}")
    return out


def _body_models(doc: Document, op: Operation, ctx: Ctx) -> dict[str, Any]:
    defs = _definitions(doc)
    if doc.swagger2:
        for at, param in _parameters(doc, op):
            if param.get("in") == "body" and isinstance(param.get("schema"), Mapping):
                ctx.done(at, "request_validation.body (the model)")
                types = op.op.get("consumes") or doc.data.get("consumes") or ["application/json"]
                return {str(t): {**param["schema"], **defs} for t in types}
        return {}
    body = _resolve_from_root(doc, op.op.get("requestBody"))
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping):
        return {}
    out = {}
    for ctype, media in content.items():
        schema = media.get("schema") if isinstance(media, Mapping) else None
        if isinstance(schema, Mapping):
            out[str(ctype)] = {**schema, **defs}
    if out:
        ctx.done((*op.loc, "requestBody"), f"request_validation.body for {', '.join(out)}")
    return out


def _definitions(doc: Document) -> dict[str, Any]:
    """The document's models, beside each schema, so that its `$ref`s resolve as they do in the document."""
    if doc.swagger2:
        defs = doc.data.get("definitions")
        return {"definitions": defs} if isinstance(defs, Mapping) else {}
    schemas = (doc.data.get("components") or {}).get("schemas")
    return {"components": {"schemas": schemas}} if isinstance(schemas, Mapping) else {}
