"""The one place a GatewayError becomes an HTTP response: AWS's default status, body and
x-amzn-ErrorType per flavour, overridable per API with `gateway_responses` (REST's gateway responses;
an extension on http APIs). Templates substitute `$context.error.messageString`, `.message`,
`.responseType`, `$context.requestId`, `$context.stage` and `$stageVariables.NAME`; header values are
'quoted literals' or `method.request.header|querystring|path.NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from gatepost.errors import HTTP_DEFAULTS, REST_DEFAULTS, GatewayError, ResponseType
from gatepost.request import GatewayRequest, flavour_request_id
from gatepost.response import Response

_VAR = re.compile(r"\$(context\.error\.messageString|context\.error\.message|context\.error\.responseType"
                  r"|context\.requestId|context\.stage|stageVariables\.[A-Za-z0-9_]+)")


@dataclass(frozen=True, slots=True)
class ResponseOverride:
    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: str | None


class GatewayResponses:
    def __init__(self, flavour: str, stage: str, stage_variables: Mapping[str, str],
                 overrides: Mapping[str, ResponseOverride] | None = None) -> None:
        self.defaults = REST_DEFAULTS if flavour == "rest" else HTTP_DEFAULTS
        self.flavour = flavour
        self.stage = stage
        self.stage_variables = dict(stage_variables)
        self.overrides = dict(overrides or {})

    def render(self, err: GatewayError, req: GatewayRequest | None,
               path_params: Mapping[str, str] | None = None) -> Response:
        default = self.defaults[err.type]
        message = default.message if default.fixed or not err.has_message else err.message
        status = default.status
        override = self.overrides.get(err.type) or self.overrides.get(
            "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
        headers = [("content-type", "application/json"), ("x-amzn-errortype", default.error_type)]
        if req is not None:  # REST: x-amzn-RequestId; HTTP APIs: apigw-requestid, in its own id format (AWS)
            headers.append(("x-amzn-requestid" if self.flavour == "rest" else "apigw-requestid",
                            flavour_request_id(req.request_id, self.flavour)))
        if err.headers:  # a raiser's header replaces a default of the same name (e.g. x-amzn-ErrorType)
            extra = [(k.lower(), v) for k, v in err.headers.items()]
            headers = [(k, v) for k, v in headers if k not in {n for n, _ in extra}] + extra
        body = orjson.dumps({err.body_key: message})
        if override is not None:
            status = override.status or status
            for name, value in override.headers:
                resolved = _header_value(value, req, path_params or {})
                if resolved is not None:
                    headers = [(k, v) for k, v in headers if k != name.lower()] + [(name.lower(), resolved)]
            if override.body is not None:
                body = self._template(override.body, err.type, message, req).encode()
        return Response(status, headers, body)

    def _template(self, template: str, type_: ResponseType, message: str | None, req: GatewayRequest | None) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name == "context.error.messageString":
                return orjson.dumps(message).decode()
            if name == "context.error.message":
                return message or ""
            if name == "context.error.responseType":
                return str(type_)
            if name == "context.requestId":
                return flavour_request_id(req.request_id, self.flavour) if req else ""
            if name == "context.stage":
                return self.stage
            return self.stage_variables.get(name.split(".", 1)[1], "")

        return _VAR.sub(sub, template)


def _header_value(value: str, req: GatewayRequest | None, path_params: Mapping[str, str]) -> str | None:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    source, _, name = value.rpartition(".")
    if req is not None and source == "method.request.header":
        return req.header(name)
    if req is not None and source == "method.request.querystring":
        return req.query_param(name)
    if source == "method.request.path":
        return path_params.get(name)
    return value if not value.startswith("method.request.") else None


def compile_overrides(raw: Mapping[str, object]) -> dict[str, ResponseOverride]:
    out = {}
    for name, cfg in raw.items():
        out[name] = ResponseOverride(
            getattr(cfg, "status", None),
            tuple(getattr(cfg, "headers", {}).items()),
            getattr(cfg, "body", None),
        )
    return out
