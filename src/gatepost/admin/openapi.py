"""The admin API, described (served at /admin/openapi.json; the tests check every answer against it)."""

from __future__ import annotations

from typing import Any

from gatepost.admin.describe import paths as operation_paths

_ERROR = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
_DENIED = {"description": "missing, wrong or insufficient credentials",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(action: str, summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    return {"operationId": action, "summary": summary, "security": [{"bearer": []}, {"sigv4": []}],
            "x-gatepost-action": f"gatepost:{action}",
            "responses": {"200": ok, "401": _DENIED, "403": _DENIED}}


_PROBLEM = {"type": "object", "required": ["file", "place", "problem", "fix"],
            "properties": {k: {"type": "string"} for k in ("file", "place", "problem", "fix")}}
_PROBLEMS = {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}
_OUTCOME = {"type": "object", "required": ["reloaded", "version", "digest", "load", "reason", "problems"],
            "properties": {"reloaded": {"type": "boolean"}, "message": {"type": "string"},
                           "version": {"type": "string", "description": "{load}.{digest}: the version now serving"},
                           "digest": {"type": "string"}, "load": {"type": "integer"},
                           "reason": {"type": "string", "enum": ["reloaded", "config", "build_failed",
                                                                 "workers_disagree"]},
                           "problems": _PROBLEMS}}
_VALIDATION = {"type": "object", "required": ["valid", "digest", "serving", "problems"],
               "properties": {"valid": {"type": "boolean"}, "digest": {"type": "string"},
                              "serving": {"type": "string"}, "problems": _PROBLEMS}}


def _reload_op(action: str, summary: str, schema: str, refused: bool = False) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    op = _op(action, summary, {"description": "done", **body})
    if refused:
        op["responses"]["400"] = {"description": "refused: the previous version keeps serving", **body}
    op["responses"]["409"] = {"description": "this process has no config file to reload (an embedded gateway)",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return op


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Gatepost admin API", "version": "1"},
    "paths": {
        "/healthz": {"get": {"operationId": "Health", "summary": "liveness of this worker", "security": [],
                             "responses": {"200": {"description": "alive", "content": {"application/json": {
                                 "schema": {"type": "object", "required": ["status"],
                                            "properties": {"status": {"type": "string"},
                                                           "pid": {"type": "integer"},
                                                           "config": {"type": "string"}}}}}}}}},
        "/metrics": {"get": _op("GetMetrics", "Prometheus metrics, summed across workers", {
            "description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}})},
        "/admin/routes": {"get": _op("GetRoutes", "how every route decides who may call it (explain)", {
            "description": "explain's rows", "content": {"application/json": {"schema": {
                "type": "object", "required": ["routes"],
                "properties": {"routes": {"type": "array", "items": {"type": "object"}}}}}}})},
        "/admin/map": {"get": _op("GetRouteMap", "the route map page: routes, who gets in, findings, counts", {
            "description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}})},
        "/admin/openapi.json": {"get": _op("GetOpenApi", "this document", {
            "description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}})},
        "/admin/reload": {"post": _reload_op("ReloadConfig", "load the on-disk config in every worker (SIGHUP's "
                                             "twin); a broken one is refused and the previous version keeps serving",
                                             "ReloadOutcome", refused=True)},
        "/admin/config/validate": {"post": _reload_op("ValidateConfig", "the on-disk config's located problems "
                                                      "(changes nothing)", "Validation")},
    },
    "components": {
        "schemas": {"Error": _ERROR, "Problem": _PROBLEM, "ReloadOutcome": _OUTCOME, "Validation": _VALIDATION},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the token in admin.token_env"},
            "sigv4": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "AWS SigV4, service `gatepost`, signed by a principal of the gateway's catalog"},
        },
    },
}
DOCUMENT["paths"].update(operation_paths())  # the operations of admin/registry.py
