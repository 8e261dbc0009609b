"""The admin operations as OpenAPI 3.0 path items (openapi.py adds them to the document it serves)."""

from __future__ import annotations

from typing import Any

from gatepost.admin.operation import Operation
from gatepost.admin.registry import OPERATIONS

_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_REFUSED = {400: "bad input", 401: "wrong bearer token", 403: "missing, wrong or insufficient credentials",
            404: "no such resource", 409: "conflicts with what exists", 413: "the body is too large",
            503: "a store the operation needs failed"}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"sigv4": []}]


def _refusal(status: int) -> dict[str, Any]:
    return {"description": _REFUSED[status], "content": _ERROR_REF}


def operation(op: Operation) -> dict[str, Any]:
    parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                  for n in op.path_names]
    parameters += [{"name": n, "in": "query", "required": False, "schema": s} for n, s in op.query.items()]
    refusals = {400, 401, 403, *op.refusals} | ({404} if op.path_names else set()) | \
        ({413} if op.body is not None else set())
    out: dict[str, Any] = {
        "operationId": op.action, "summary": op.summary, "security": SECURITY,
        "x-gatepost-action": f"gatepost:{op.action}",
        "responses": {str(op.status): {"description": "done", "content": {"application/json": {"schema": op.answer}}},
                      **{str(s): _refusal(s) for s in sorted(refusals)}},
    }
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    return out


def paths() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        out.setdefault(op.path, {})[op.method.lower()] = operation(op)
    return out
