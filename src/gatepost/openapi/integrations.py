"""One operation's x-amazon-apigateway-integration -> one native integration config.

| AWS `type` | native |
|---|---|
| `aws_proxy` (Lambda) | by the function's binding: a handler -> `{type: lambda, handler, payload_format_version}`; |
| | an HTTP service standing in for the function -> `{type: http, url}` |
| `http_proxy` | `{type: http, url}`, the URI's prefix replaced by its `urls:` binding (loopback URIs need none) |
| `mock` | `{type: mock, status, headers, body}` from the static integration response |
| `http`, `aws` (mapping templates) | refused: an error naming the operation |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from gatepost.integrations.registry import KINDS
from gatepost.openapi.authorizers import Mapped, Problem, function_arn, function_name
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.document import Operation

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")
_STATUS = re.compile(r'"?statusCode"?\s*:\s*"?(\d{3})')
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
EXTENSION = "x-amazon-apigateway-integration"


def map_integration(op: Operation, flavour: str, bindings: Bindings) -> Mapped:
    integ = op.op.get(EXTENSION)
    if not isinstance(integ, Mapping):
        return Mapped(None, [(f"{op.label} has no {EXTENSION}", "add the integration (aws_proxy, http_proxy or mock)")])
    itype = str(integ.get("type", "")).lower()
    if itype == "aws_proxy":
        return _aws_proxy(integ, flavour, bindings)
    if itype == "http_proxy":
        return _http_proxy(op, integ, bindings)
    if itype == "mock":
        return _mock(integ)
    if itype in ("http", "aws"):
        return Mapped(None, [(f"{op.label}: non-proxy `{itype}` integrations (mapping templates) are not supported",
                              f"use {'http_proxy' if itype == 'http' else 'aws_proxy'} and move the mapping into "
                              "the backend")])
    return Mapped(None, [(f"{op.label}: unknown integration type {integ.get('type')!r}",
                          "use aws_proxy, http_proxy or mock")])


def _aws_proxy(integ: Mapping[str, Any], flavour: str, bindings: Bindings) -> Mapped:
    if integ.get("integrationSubtype"):
        return Mapped(None, [(f"AWS service integrations ({integ['integrationSubtype']}) are not supported",
                              "put a Lambda function or an HTTP backend behind this route")])
    arn = function_arn(str(integ.get("uri", "")))
    if arn is None:
        return Mapped(None, [(f"aws_proxy uri {integ.get('uri')!r} does not name a Lambda function",
                              "use arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations")])
    target = bindings.function(arn)
    if target is None:
        return Mapped(None, [(f"Lambda function {arn} is not bound",
                              f"add to the bindings file: functions: {{\"{arn}\": \"module:function\"}} "
                              "(or {url: http://...} for an HTTP service standing in for it)")])
    if target.url is not None:
        return _with_timeout("http", {"type": "http", "url": target.url}, integ)
    if "lambda" not in KINDS:
        return Mapped(None, [("this build has no `lambda` integration to run the handler",
                              f"bind {arn} to {{url: http://...}} instead, or update Gatepost")])
    cfg: dict[str, Any] = {"type": "lambda", "handler": target.handler}
    if "function_name" in KINDS["lambda"].model.model_fields:
        cfg["function_name"] = function_name(arn)
    if flavour == "http":
        cfg["payload_format_version"] = str(integ.get("payloadFormatVersion", "2.0"))
    return _with_timeout("lambda", cfg, integ)


def _with_timeout(kind: str, cfg: dict[str, Any], integ: Mapping[str, Any]) -> Mapped:
    """timeoutInMillis -> timeout_ms where the native kind has one; every other field must exist there."""
    fields = KINDS[kind].model.model_fields
    if integ.get("timeoutInMillis") is not None and "timeout_ms" in fields:
        cfg["timeout_ms"] = int(integ["timeoutInMillis"])
    missing = [(f"this build's {kind} integration has no `{name}` setting", "update Gatepost")
               for name in cfg if name not in fields]
    return Mapped(None if missing else cfg, missing)


def _http_proxy(op: Operation, integ: Mapping[str, Any], bindings: Bindings) -> Mapped:
    uri = str(integ.get("uri", ""))
    problems: list[Problem] = []
    method = str(integ.get("httpMethod", "ANY")).upper()
    if method not in ("ANY", op.method):
        problems.append((f"the integration's httpMethod {method} differs from the route's {op.method}",
                         "Gatepost forwards the caller's method: set httpMethod to ANY or to the route's"))
    for target, source in (integ.get("requestParameters") or {}).items():
        name = str(target).removeprefix("integration.request.path.")
        if source != f"method.request.path.{name}":
            problems.append((f"requestParameters {target}: {source} is not supported (only a path parameter "
                             "passed on under its own name)", "remove it, or do the mapping in the backend"))
    url = bindings.url(uri)
    if url is None:
        host = urlsplit(uri).hostname or ""
        if host not in _LOOPBACK_HOSTS and f"[{host}]" not in _LOOPBACK_HOSTS:
            return Mapped(None, [*problems, (f"backend URI {uri} is not bound to a local target",
                                             f"add to the bindings file: urls: {{\"{_origin(uri)}\": "
                                             "\"http://127.0.0.1:PORT\"}")])
        url = uri
    if "${" in url:
        problems.append((f"backend URI {uri} uses stage variables", "bind the URI prefix in `urls:`"))
    url, path_problem = _native_url(op, url)
    if path_problem:
        problems.append(path_problem)
    if problems:
        return Mapped(None, problems)
    return _with_timeout("http", {"type": "http", "url": url}, integ)


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else uri


def _native_url(op: Operation, url: str) -> tuple[str, Problem | None]:
    """The native http integration appends the request path unless the URL has {placeholders}."""
    if _PLACEHOLDER.search(url):
        return url, None
    path = urlsplit(url).path.rstrip("/")
    greedy = op.is_default_route or op.path.endswith("+}")
    if not path and greedy:
        return url.rstrip("/"), None
    if "{" not in op.path and not op.is_default_route and path.endswith(op.path.rstrip("/")) and op.path != "/":
        return url.rstrip("/")[: len(url.rstrip("/")) - len(op.path.rstrip("/"))], None
    return url, (f"the integration URI {url} is a fixed path that does not follow the route's path",
                 "use the route's path at the end of the URI, or {proxy}-style placeholders")


def _mock(integ: Mapping[str, Any]) -> Mapped:
    templates = integ.get("requestTemplates") or {}
    found = _STATUS.search(str(next(iter(templates.values()), ""))) if templates else None
    responses = integ.get("responses") or {}
    chosen: Mapping[str, Any] = {}
    for response in responses.values():
        if isinstance(response, Mapping) and found and str(response.get("statusCode")) == found.group(1):
            chosen = response
    chosen = chosen or responses.get("default") or {}
    status = int(chosen.get("statusCode") or (found.group(1) if found else 200))
    cfg: dict[str, Any] = {"type": "mock", "status": status}
    problems: list[Problem] = []
    body = (chosen.get("responseTemplates") or {}).get("application/json")
    if body:
        if "$" in str(body) or "#" in str(body):
            problems.append(("mock response templates with VTL ($ or #) are not supported",
                             "use a static body"))
        cfg["body"] = str(body)
        cfg["headers"] = {"content-type": "application/json"}
    for name, value in (chosen.get("responseParameters") or {}).items():
        header, text = str(name).removeprefix("method.response.header."), str(value)
        if not (len(text) >= 2 and text[0] == text[-1] == "'"):
            problems.append((f"mock response header {header} is not a 'static value'", "use a quoted literal"))
        else:
            cfg.setdefault("headers", {})[header] = text[1:-1]
    return Mapped(None if problems else cfg, problems)
