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


DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Gatepost admin API", "version": "1"},
    "paths": {
        "/healthz": {"get": {"operationId": "Health", "summary": "liveness of this worker", "security": [],
                             "responses": {"200": {"description": "alive", "content": {"application/json": {
                                 "schema": {"type": "object", "required": ["status"],
                                            "properties": {"status": {"type": "string"},
                                                           "pid": {"type": "integer"}}}}}}}}},
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
    },
    "components": {
        "schemas": {"Error": _ERROR},
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the token in admin.token_env"},
            "sigv4": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "AWS SigV4, service `gatepost`, signed by a principal of the gateway's catalog"},
        },
    },
}
DOCUMENT["paths"].update(operation_paths())  # the operations of admin/registry.py
