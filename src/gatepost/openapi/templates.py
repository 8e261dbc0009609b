"""Non-proxy integrations (mapping templates) -> native `mock` (when static) or `template` integrations.

A `mock` whose request template only names a status code and whose chosen response is static (no `$`
or `#`) becomes a plain native mock. Anything else (VTL in a template, several content types, an `http`
backend) becomes a native `template` integration rendered by a Velocity engine at request time
(integrations/template.py): requestTemplates, passthroughBehavior, requestParameters, and each response's
selectionPattern, statusCode, responseParameters and responseTemplates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatepost.integrations.registry import KINDS
from gatepost.openapi.context import PARTIAL_FIX, Ctx
from gatepost.openapi.document import Operation
from gatepost.openapi.fates import Path

_STATUS_ONLY = re.compile(r'^\s*\{\s*"?statusCode"?\s*:\s*"?(\d{3})"?\s*\}\s*$')
_HEADER = "method.response.header."
_PASSTHROUGH = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
_PARAM_TARGET = re.compile(r"^integration\.request\.(header|querystring|path)\.(.+)$")
_PARAM_SOURCE = re.compile(r"^method\.request\.(header|querystring|path)\.(.+)$|^'.*'$|^context\.requestId$"
                           r"|^stageVariables\.")


def _dynamic(text: Any) -> bool:
    return "$" in str(text) or "#" in str(text)


def static_mock(integ: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, Any] | None:
    """A native mock, when the mock is static; None (nothing recorded) when it needs templates."""
    templates = integ.get("requestTemplates") or {}
    if not isinstance(templates, Mapping) or len(templates) > 1 or integ.get("requestParameters"):
        return None
    found = _STATUS_ONLY.match(str(next(iter(templates.values())))) if templates else None
    if templates and found is None:
        return None
    status = found.group(1) if found else "200"
    responses = integ.get("responses") or {}
    key = next((k for k in responses if k != "default" and _selects(str(k), status)),
               "default" if "default" in responses else None)
    chosen: Mapping[str, Any] = responses.get(key) or {} if key is not None else {}
    body_templates = chosen.get("responseTemplates") or {}
    headers = chosen.get("responseParameters") or {}
    if (len(body_templates) > 1 or any(_dynamic(t) for t in body_templates.values())
            or any(not _literal(v) for v in headers.values()) or set(chosen) - {"statusCode", "responseTemplates",
                                                                                  "responseParameters"}):
        return None
    cfg: dict[str, Any] = {"type": "mock", "status": int(chosen.get("statusCode") or status)}
    for ctype, body in body_templates.items():
        cfg["body"] = str(body)
        cfg["headers"] = {"content-type": str(ctype)}
    for name, value in headers.items():
        cfg.setdefault("headers", {})[str(name).removeprefix(_HEADER)] = str(value)[1:-1]
    if templates:
        ctx.done((*at, "requestTemplates"), f"the mock answers status {status}")
    if "passthroughBehavior" in integ:
        ctx.same((*at, "passthroughBehavior"), "a mock reads no request body")
    for k in responses:
        if k == key:
            ctx.done((*at, "responses", k), f"mock status {cfg['status']}, its headers and body")
        else:
            ctx.same((*at, "responses", k), f"never selected: the mock always answers status {status}")
    if "responses" in integ and not responses:
        ctx.same((*at, "responses"), "no integration responses: the mock answers 200 without a body")
    return cfg


def _selects(pattern: str, status: str) -> bool:
    """AWS matches a mock's (and an HTTP backend's) status code against the response's selection pattern."""
    try:
        return re.fullmatch(pattern, status) is not None
    except re.error:
        return False


def _literal(value: Any) -> bool:
    text = str(value)
    return len(text) >= 2 and text[0] == text[-1] == "'"


def map_template(op: Operation, integ: Mapping[str, Any], at: Path, url: str | None, ctx: Ctx,
                 ) -> dict[str, Any] | None:
    """A `template` integration: `url` is the http backend, None for a mock."""
    if "template" not in KINDS:
        ctx.refuse(at, f"{op.label}: mapping templates (non-proxy integrations) are not supported",
                   f"use a proxy integration and move the mapping into the backend, {PARTIAL_FIX}")
        return None
    cfg: dict[str, Any] = {"type": "template"}
    if url is not None:
        cfg["url"] = url
        method = str(integ.get("httpMethod", op.method)).upper()
        cfg["http_method"] = op.method if method == "ANY" else method
        ctx.done((*at, "httpMethod"), f"the backend is called with {cfg['http_method']}")
    if "timeoutInMillis" in integ and url is not None:
        cfg["timeout_ms"] = int(integ["timeoutInMillis"])
        ctx.done((*at, "timeoutInMillis"), "timeout_ms")
    templates = integ.get("requestTemplates") or {}
    if templates:
        cfg["request_templates"] = {str(k): str(v) for k, v in templates.items()}
        ctx.done((*at, "requestTemplates"), "request_templates (Velocity, rendered per request)")
    passthrough = str(integ.get("passthroughBehavior", "WHEN_NO_MATCH")).upper()
    if passthrough not in _PASSTHROUGH:
        ctx.refuse((*at, "passthroughBehavior"), f"unknown passthroughBehavior {passthrough}",
                   f"use one of {', '.join(_PASSTHROUGH)}")
    elif "passthroughBehavior" in integ:
        cfg["passthrough"] = passthrough
        ctx.done((*at, "passthroughBehavior"), "passthrough")
    params = _request_parameters(integ.get("requestParameters"), (*at, "requestParameters"), url is None, ctx)
    if params:
        cfg["request_parameters"] = params
    cfg["responses"] = _responses(integ.get("responses"), (*at, "responses"), ctx)
    return cfg


def _request_parameters(raw: Any, at: Path, mock: bool, ctx: Ctx) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        ctx.refuse(at, "requestParameters must be a mapping", "map integration.request.* to method.request.*")
        return {}
    out: dict[str, str] = {}
    for target, source in raw.items():
        where = (*at, target)
        if mock:
            ctx.same(where, "a mock sends no backend request: nothing to map")
        elif _PARAM_TARGET.match(str(target)) and _PARAM_SOURCE.match(str(source)):
            out[str(target)] = str(source)
            ctx.done(where, "request_parameters")
        else:
            ctx.refuse(where, f"requestParameters {target}: {source} is not supported",
                       "map integration.request.header|querystring|path.X from method.request.*, 'literal', "
                       f"context.requestId or stageVariables.*, {PARTIAL_FIX}")
    if not raw:
        ctx.same(at, "no parameters to map")
    return out


def _responses(raw: Any, at: Path, ctx: Ctx) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        ctx.refuse(at, "responses must be a mapping of selection patterns", "see AWS's integration responses")
        return []
    out = []
    for pattern, spec in raw.items():
        where = (*at, pattern)
        if not isinstance(spec, Mapping):
            ctx.refuse(where, "an integration response must be a mapping", "give statusCode and responseTemplates")
            continue
        native: dict[str, Any] = {"selection_pattern": None if pattern == "default" else str(pattern)}
        for key, value in spec.items():
            place = (*where, key)
            if key == "statusCode":
                native["status"] = int(value)
                ctx.done(place, "status")
            elif key == "responseTemplates" and isinstance(value, Mapping):
                native["templates"] = {str(k): str(v) for k, v in value.items()}
                ctx.done(place, "templates (Velocity, rendered per response)")
            elif key == "responseParameters" and isinstance(value, Mapping):
                native["headers"] = _response_headers(value, place, ctx)
            elif key == "selectionPattern":
                native["selection_pattern"] = str(value)
                ctx.done(place, "selection_pattern")
            elif key == "contentHandling":
                ctx.refuse(place, "contentHandling is not supported", "remove it; bodies pass as they are")
        out.append(native)
    return out


def _response_headers(raw: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        where = (*at, name)
        text = str(value)
        if not str(name).startswith(_HEADER):
            ctx.refuse(where, f"{name} is not a method response header", "map method.response.header.NAME")
        elif _literal(text) or text.startswith("integration.response.header."):
            out[str(name)[len(_HEADER):]] = text
            ctx.done(where, "headers")
        else:
            ctx.refuse(where, f"response parameter source {text} is not supported",
                       f"use a 'literal' or integration.response.header.NAME, {PARTIAL_FIX}")
    return out
