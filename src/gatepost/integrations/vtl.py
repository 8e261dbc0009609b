"""Mapping templates: Velocity (VTL) rendered by airspeed, the engine moto and LocalStack use, with the
variables AWS documents for API Gateway mapping templates:

- `$input.body`, `$input.json('$.x')`, `$input.path('$.x')`, `$input.params()`, `$input.params('name')`
  (path, then query string, then header, as AWS looks them up); JSONPath `$`, `$.a.b`, `$.a[0]`, `$['a']`;
- `$context`: requestId, extendedRequestId, httpMethod, resourcePath, resourceId, path, stage, apiId,
  accountId, domainName, protocol, requestTime, requestTimeEpoch, identity.sourceIp, identity.userAgent,
  authorizer.principalId and the authorizer's context / claims;
- `$util.escapeJavaScript`, `$util.parseJson`, `$util.urlEncode`, `$util.urlDecode`, `$util.base64Encode`,
  `$util.base64Decode`;
- `$stageVariables.NAME`.

Templates are parsed once (at startup: a syntax error is a config error); `render` never raises for a
template problem at request time, it raises TemplateError, which the integration answers as AWS's 500.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

import airspeed

_PATH_PART = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class TemplateError(Exception):
    pass


class Template:
    def __init__(self, text: str) -> None:
        try:
            self._template = airspeed.Template(text)
            self._template.ensure_compiled()
        except airspeed.TemplateSyntaxError as exc:
            raise ValueError(f"mapping template: {exc}") from None

    def render(self, variables: Mapping[str, Any]) -> str:
        try:
            return str(self._template.merge(dict(variables)))
        except Exception as exc:  # a template that fails on this request: AWS answers 500
            raise TemplateError(f"{type(exc).__name__}: {exc}") from None


def json_path(document: Any, path: str) -> Any:
    """The JSONPath subset AWS's examples use; None when a step does not exist."""
    path = path.strip()
    if not path.startswith("$"):
        raise TemplateError(f"JSONPath {path!r} must start with $")
    node, rest = document, path[1:]
    while rest:
        step = _PATH_PART.match(rest)
        if step is None:
            raise TemplateError(f"JSONPath {path!r}: only .name, [index] and ['name'] steps are supported")
        name, index, quoted, dquoted = step.groups()
        key = name if name is not None else quoted if quoted is not None else dquoted
        if index is not None:
            node = node[int(index)] if isinstance(node, list) and int(index) < len(node) else None
        else:
            node = node.get(key) if isinstance(node, dict) else None
        rest = rest[step.end():]
    return node


class _JsonBool:
    """A JSON boolean that prints as JSON does (`true`), as AWS's Java objects do."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __str__(self) -> str:
        return "true" if self.value else "false"


def _vtl_value(value: Any) -> Any:
    if isinstance(value, bool):
        return _JsonBool(value)
    if isinstance(value, dict):
        return {k: _vtl_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_vtl_value(v) for v in value]
    return value


class Input:
    """`$input`: the request (or the integration response) body and the request's parameters."""

    def __init__(self, body: bytes, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body.decode("utf-8", "replace")
        self._params = params
        self._parsed: Any = None
        self._parsed_done = False

    def _document(self) -> Any:
        if not self._parsed_done:
            self._parsed_done = True
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                raise TemplateError("the body is not JSON, but the template reads it with $input.json/path") \
                    from None
        return self._parsed

    def json(self, path: str) -> str:
        return json.dumps(json_path(self._document(), path), separators=(",", ":"))

    def path(self, path: str) -> Any:
        return _vtl_value(json_path(self._document(), path))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return {k: dict(v) for k, v in self._params.items()}
        for place in ("path", "querystring", "header"):
            found = self._params.get(place, {})
            if place == "header":
                lowered = {k.lower(): v for k, v in found.items()}
                if name.lower() in lowered:
                    return lowered[name.lower()]
            elif name in found:
                return found[name]
        return ""


class Util:
    """`$util`."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        return json.dumps(str(value))[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(value: str) -> Any:
        try:
            return _vtl_value(json.loads(value))
        except ValueError:
            raise TemplateError("$util.parseJson: not JSON") from None

    @staticmethod
    def urlEncode(value: Any) -> str:
        return quote(str(value), safe="")

    @staticmethod
    def urlDecode(value: Any) -> str:
        return unquote(str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:
        return base64.b64encode(str(value).encode()).decode()

    @staticmethod
    def base64Decode(value: Any) -> str:
        return base64.b64decode(str(value).encode()).decode("utf-8", "replace")


UTIL = Util()


def context_variables(*, request_id: str, method: str, resource_path: str, path: str, stage: str, api_id: str,
                      account_id: str, domain_name: str, source_ip: str, user_agent: str,
                      principal_id: str | None, authorizer: Mapping[str, Any]) -> dict[str, Any]:
    now = time.time()
    return {
        "requestId": request_id, "extendedRequestId": request_id, "httpMethod": method,
        "resourcePath": resource_path, "resourceId": resource_path, "path": path, "stage": stage,
        "apiId": api_id, "accountId": account_id, "domainName": domain_name, "protocol": "HTTP/1.1",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": source_ip, "userAgent": user_agent},
        "authorizer": {**{k: _vtl_value(v) for k, v in authorizer.items()}, "principalId": principal_id or ""},
    }
