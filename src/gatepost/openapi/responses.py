"""x-amazon-apigateway-gateway-responses -> `gateway_responses:`; x-amazon-apigateway-cors -> `cors:`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatepost.openapi.authorizers import Problem

HEADER_PREFIX = "gatewayresponse.header."
# What responses.py substitutes; any other $variable or VTL would be sent to clients as typed.
SUPPORTED_VARIABLES = frozenset({"context.error.messageString", "context.error.message",
                                 "context.error.responseType", "context.requestId", "context.stage"})
_VARIABLE = re.compile(r"\$!?\{?([A-Za-z][A-Za-z0-9_.]*)")
_CORS_FIELDS = {"allowOrigins": "allow_origins", "allowMethods": "allow_methods", "allowHeaders": "allow_headers",
                "exposeHeaders": "expose_headers", "maxAge": "max_age", "allowCredentials": "allow_credentials"}


def _template_problems(rtype: str, body: str) -> list[Problem]:
    out: list[Problem] = []
    if re.search(r"(^|\s)#(if|foreach|set|else|end)", body):
        out.append((f"gateway response {rtype}: VTL directives are not supported", "use a static template"))
    for var in _VARIABLE.findall(body):
        if var not in SUPPORTED_VARIABLES and not var.startswith("stageVariables."):
            out.append((f"gateway response {rtype}: ${var} is not supported",
                        f"use only {', '.join(sorted(SUPPORTED_VARIABLES))} and $stageVariables.NAME"))
    return out


def map_gateway_responses(raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    if not isinstance(raw, Mapping):
        return {}, [("x-amazon-apigateway-gateway-responses must be a mapping", "key it by response type")]
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for rtype, spec in raw.items():
        if not isinstance(spec, Mapping):
            problems.append((f"gateway response {rtype} must be a mapping", "give statusCode, responseTemplates"))
            continue
        native: dict[str, Any] = {}
        if spec.get("statusCode") is not None:
            native["status"] = int(spec["statusCode"])
        headers = {}
        for name, value in (spec.get("responseParameters") or {}).items():
            if not str(name).startswith(HEADER_PREFIX):
                problems.append((f"gateway response {rtype}: parameter {name} is not a header", "remove it"))
            headers[str(name)[len(HEADER_PREFIX):]] = str(value)
        if headers:
            native["headers"] = headers
        templates = spec.get("responseTemplates") or {}
        others = [t for t in templates if t != "application/json"]
        if others:
            problems.append((f"gateway response {rtype}: templates for {', '.join(others)} are not supported "
                             "(Gatepost answers JSON)", "keep the application/json template only"))
        if templates.get("application/json") is not None:
            native["body"] = str(templates["application/json"])
            problems += _template_problems(str(rtype), native["body"])
        out[str(rtype)] = native
    return out, problems


def map_cors(raw: Any) -> tuple[dict[str, Any], list[Problem]]:
    if not isinstance(raw, Mapping):
        return {}, [("x-amazon-apigateway-cors must be a mapping", "see AWS's HTTP API CORS settings")]
    unknown = [k for k in raw if k not in _CORS_FIELDS]
    problems: list[Problem] = [(f"CORS setting {k} is not supported", "remove it") for k in unknown]
    return {_CORS_FIELDS[k]: v for k, v in raw.items() if k in _CORS_FIELDS}, problems
