"""The fates of a document's descriptive parts: what API Gateway itself does not act on either.

`info`, `tags`, summaries, `responses` and the like describe the API; AWS keeps them as documentation and
so does the import (they stay in the document). Parameters, request bodies and models are enforced only
by a request validator (validators.py records those it enforces; the rest are documentation, as on AWS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.openapi.context import Ctx
from gatepost.openapi.document import HTTP_METHODS, Document, Operation

DOCUMENTATION = "documentation: API Gateway does not act on it either"
_ROOT_DOCS = ("tags", "externalDocs", "consumes", "produces", "webhooks", "jsonSchemaDialect")
_OPERATION_DOCS = ("summary", "description", "operationId", "tags", "externalDocs", "deprecated", "responses",
                   "produces", "consumes", "servers", "callbacks")
_UNVALIDATED = "not validated: no request validator applies to it (AWS does not check it either)"
_PATH_ITEM_DOCS = ("summary", "description", "servers")
_COMPONENT_DOCS = ("schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links",
                   "callbacks")


def record_root(doc: Document, ctx: Ctx) -> None:
    data = doc.data
    ctx.done(("swagger",) if doc.swagger2 else ("openapi",), f"document format {doc.version}")
    if "info" in data:
        ctx.done(("info",), "info.title names the API (unless the bindings name it); the rest is documentation")
    for key in ("servers", "host", "basePath", "schemes"):
        if key in data:
            ctx.done((key,), "api_id, region and stage (from the execute-api URL); the listen address is server:")
    for key in _ROOT_DOCS:
        if key in data:
            ctx.same((key,), DOCUMENTATION)
    if "securityDefinitions" in data and not data["securityDefinitions"]:
        ctx.same(("securityDefinitions",), "empty: nothing to convert")
    for key in ("definitions", "parameters", "responses"):  # Swagger 2's components
        if key in data:
            ctx.same((key,), "models and shared definitions: enforced where a request validator uses them")
    components = data.get("components")
    if isinstance(components, Mapping):
        for key in components:
            if key in ("securitySchemes", "x-amazon-apigateway-integrations") and not components[key]:
                ctx.same(("components", key), "empty: nothing to convert")  # else each entry has its own fate
            elif key in _COMPONENT_DOCS:
                ctx.same(("components", key), "models and shared definitions: enforced where a request "
                         "validator uses them")
    if "security" in data:
        ctx.done(("security",), "the requirement of every operation without its own `security`")


def record_path_item(path: str, item: Mapping[str, Any], ctx: Ctx) -> None:
    for key in item:
        if key in _PATH_ITEM_DOCS:
            ctx.same(("paths", path, key), DOCUMENTATION)
        elif key == "parameters":
            ctx.same(("paths", path, key), _UNVALIDATED)
        elif key not in HTTP_METHODS and not str(key).startswith("x-amazon-apigateway-"):
            ctx.refuse(("paths", path, key), f"path item key {key!r} is not supported",
                       "inline the path item (no $ref) and keep only operations")


def record_operation(op: Operation, ctx: Ctx) -> None:
    for key in op.op:
        if key in _OPERATION_DOCS:
            ctx.same((*op.loc, key), DOCUMENTATION)
        elif key in ("parameters", "requestBody"):
            ctx.same((*op.loc, key), _UNVALIDATED)
        elif key == "isDefaultRoute":
            ctx.done((*op.loc, key), "route: $default")
