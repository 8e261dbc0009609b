"""template: AWS's non-proxy integration (HTTP or MOCK) with request and response mapping templates.

```yaml
integration:
  type: template
  url: http://127.0.0.1:9000/pets/{petId}   # the backend (AWS `http`); without url: a mock (AWS `MOCK`)
  http_method: GET
  request_templates: {application/json: '{"id": "$input.params(''petId'')"}'}
  passthrough: WHEN_NO_MATCH                  # WHEN_NO_MATCH | WHEN_NO_TEMPLATES | NEVER
  request_parameters: {integration.request.header.x-tenant: method.request.header.x-tenant}
  responses:                       # integration responses in order; the one without a pattern is the default
    - {selection_pattern: "4\\d{2}", status: 400, templates: {application/json: '{"error": $input.json(''$'')}'}}
    - {status: 200, headers: {X-Source: "'backend'"}, templates: {application/json: '$input.json(''$.items'')'}}
```

As API Gateway does it: the request template is chosen by the request's Content-Type (application/json
when there is none); without one, `passthrough` decides (pass the body as it is, or 415 Unsupported Media
Type). A mock's status is the rendered template's `statusCode`. The integration response is the first
whose `selection_pattern` (a regex) matches the backend's status (the mock's status), else the default;
its template renders the backend's body as `$input`. Templates use integrations/vtl.py's variables.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from pydantic import Field

from gatepost.config.base import StrictModel
from gatepost.errors import GatewayError, ResponseType
from gatepost.integrations.base import Integration
from gatepost.integrations.outbound import Outbound
from gatepost.integrations.vtl import UTIL, Input, Template, TemplateError, context_variables
from gatepost.response import Response
from gatepost.services import Services
from gatepost.upstream import Origin, Pool, UpstreamError, UpstreamTimeout

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")
_TARGET = re.compile(r"^integration\.request\.(header|querystring|path)\.(.+)$")
_SOURCE = re.compile(r"^method\.request\.(header|querystring|path)\.(.+)$")
DEFAULT_TYPE = "application/json"


class TemplateResponseConfig(StrictModel):
    selection_pattern: str | None = None  # a regex on the backend's status code; None: the default response
    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = {}  # name -> 'literal' or integration.response.header.NAME
    templates: dict[str, str] = {}  # content type -> VTL


class TemplateIntegrationConfig(StrictModel):
    type: Literal["template"]
    url: str | None = None  # the backend; None: a mock
    http_method: str | None = None  # default: the request's
    timeout_ms: int = Field(29_000, ge=50, le=300_000)
    request_templates: dict[str, str] = {}
    passthrough: Literal["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"] = "WHEN_NO_MATCH"
    request_parameters: dict[str, str] = {}  # integration.request.{header,querystring,path}.X -> a method source
    responses: list[TemplateResponseConfig] = []


class _Response:
    def __init__(self, config: TemplateResponseConfig) -> None:
        self.pattern = re.compile(config.selection_pattern) if config.selection_pattern is not None else None
        self.status = config.status
        self.headers = config.headers
        self.templates = {k.lower(): Template(v) for k, v in config.templates.items()}


class TemplateIntegration(Integration):
    kind = "template"

    def __init__(self, config: TemplateIntegrationConfig) -> None:
        self.config = config
        self.templates = {k.lower(): Template(v) for k, v in config.request_templates.items()}
        try:
            self.responses = [_Response(r) for r in config.responses]
        except re.error as exc:
            raise ValueError(f"selection_pattern: {exc}") from None
        self.timeout = config.timeout_ms / 1000
        self._pools: dict[Origin, Pool] = {}

    async def start(self, services: Services) -> None:
        pass

    async def close(self) -> None:
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            await pool.close()

    async def send(self, out: Outbound) -> Response:
        variables = self._variables(out, out.req.body)
        body = self._request_body(out, variables)
        headers: dict[str, str] = {}
        try:
            if self.config.url is None:
                status, backend_body = _mock_status(body), b""
            else:
                status, headers, backend_body = await self._call(out, body)
            return self._respond(out, status, headers, backend_body)
        except TemplateError as exc:
            raise GatewayError(ResponseType.API_CONFIGURATION_ERROR, "template.render_failed",
                               "Internal server error") from exc

    def _request_body(self, out: Outbound, variables: dict[str, Any]) -> bytes:
        ctype = (out.req.header("content-type") or DEFAULT_TYPE).split(";", 1)[0].strip().lower()
        template = self.templates.get(ctype)
        if template is None:
            if self.config.passthrough == "NEVER" or (self.config.passthrough == "WHEN_NO_TEMPLATES"
                                                      and self.templates):
                raise GatewayError(ResponseType.UNSUPPORTED_MEDIA_TYPE, "template.no_template")
            return out.req.body
        try:
            return template.render(variables).encode()
        except TemplateError as exc:
            raise GatewayError(ResponseType.API_CONFIGURATION_ERROR, "template.render_failed",
                               "Internal server error") from exc

    def _variables(self, out: Outbound, body: bytes) -> dict[str, Any]:
        req, match, principal = out.req, out.match, out.decision.principal
        api = match.api.info
        authorizer = {**(principal.context or {}), **(principal.claims or {})}
        params = {"path": dict(match.path_params), "querystring": dict(req.query),
                  "header": {k: v for k, v in out.client_headers}}
        return {
            "input": Input(body, params), "util": UTIL, "stageVariables": dict(api.stage_variables),
            "context": context_variables(
                request_id=req.request_id, method=req.method, resource_path=match.route.route_key.split(" ")[-1],
                path=req.path, stage=api.stage, api_id=api.api_id, account_id=api.account_id, domain_name=req.host,
                source_ip=req.source_ip, user_agent=req.header("user-agent") or "",
                principal_id=principal.principal_id, authorizer=authorizer),
        }

    async def _call(self, out: Outbound, body: bytes) -> tuple[int, dict[str, str], bytes]:
        assert self.config.url is not None
        path_values, query, headers = self._parameters(out)
        url = _PLACEHOLDER.sub(lambda m: quote(path_values.get(m.group(1), ""), safe="/"), self.config.url)
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        origin = Origin.parse(url)
        pool = self._pools.get(origin) or self._pools.setdefault(origin, Pool(origin))
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        send_headers = [*headers.items(), ("content-type", DEFAULT_TYPE)] if body else list(headers.items())
        try:
            up = await pool.request(self.config.http_method or out.req.method, target, send_headers, body,
                                    timeout=self.timeout)
            answer = await up.read(self.timeout)
        except UpstreamTimeout:
            raise GatewayError(ResponseType.INTEGRATION_TIMEOUT, "integration.timeout") from None
        except UpstreamError as exc:
            raise GatewayError(ResponseType.INTEGRATION_FAILURE, exc.reason) from exc
        return up.status, {k.lower(): v for k, v in up.headers}, answer

    def _parameters(self, out: Outbound) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """Path values, query string and headers for the backend, from request_parameters (AWS's mapping)."""
        path: dict[str, str] = dict(out.match.path_params)
        query: dict[str, str] = {}
        headers: dict[str, str] = {}
        places = {"path": path, "querystring": query, "header": headers}
        for target, source in self.config.request_parameters.items():
            found = _TARGET.match(target)
            if found is None:
                continue
            value = _source_value(out, source)
            if value is not None:
                places[found.group(1)][found.group(2)] = value
        return path, query, headers

    def _respond(self, out: Outbound, status: int, headers: dict[str, str], body: bytes) -> Response:
        chosen = next((r for r in self.responses if r.pattern is not None and r.pattern.fullmatch(str(status))),
                      next((r for r in self.responses if r.pattern is None), None))
        if chosen is None:  # no integration response for this status: AWS answers 500
            raise GatewayError(ResponseType.API_CONFIGURATION_ERROR, "template.no_integration_response",
                               "Internal server error")
        ctype = DEFAULT_TYPE
        template = chosen.templates.get(DEFAULT_TYPE) or next(iter(chosen.templates.values()), None)
        if chosen.templates and template is not chosen.templates.get(DEFAULT_TYPE):
            ctype = next(iter(chosen.templates))
        rendered = template.render(self._variables(out, body)).encode() if template is not None else body
        out_headers = [("content-type", ctype if template is not None else headers.get("content-type", ctype))]
        for name, source in chosen.headers.items():
            value = source[1:-1] if len(source) >= 2 and source[0] == source[-1] == "'" else \
                headers.get(source.removeprefix("integration.response.header.").lower())
            if value is not None:
                out_headers.append((name.lower(), value))
        return Response(chosen.status, out_headers, rendered)

    def describe(self) -> dict[str, Any]:
        return {"kind": "template", "url": self.config.url or "(mock)"}


def _source_value(out: Outbound, source: str) -> str | None:
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    found = _SOURCE.match(source)
    if found is None:
        if source.startswith("stageVariables."):
            return out.match.api.info.stage_variables.get(source.split(".", 1)[1])
        if source == "context.requestId":
            return out.req.request_id
        return None
    place, name = found.groups()
    if place == "header":
        return out.req.header(name)
    if place == "querystring":
        return out.req.query_param(name)
    return out.match.path_params.get(name)


def _mock_status(body: bytes) -> int:
    """A mock's status: the `statusCode` of its rendered request template (200 without one)."""
    try:
        found = json.loads(body or b"{}")
    except ValueError:
        raise GatewayError(ResponseType.API_CONFIGURATION_ERROR, "template.mock_not_json",
                           "Internal server error") from None
    status = found.get("statusCode", 200) if isinstance(found, dict) else 200
    try:
        return int(status)
    except (TypeError, ValueError):
        return 500


def build(config: TemplateIntegrationConfig) -> Integration:
    return TemplateIntegration(config)
