"""One operation's x-amazon-apigateway-integration -> one native integration config, every field given a fate.

| AWS `type` | native |
|---|---|
| `aws_proxy` (Lambda) | by the function's binding: a handler -> `{type: lambda, handler, payload_format_version}`; |
| | an HTTP service standing in for the function -> `{type: http, url}` |
| `http_proxy` | `{type: http, url}`, the URI's prefix replaced by its `urls:` binding (loopback URIs need none) |
| `mock` | `{type: mock, status, headers, body}` from a static integration response, else `{type: template}` |
| `http` (mapping templates) | `{type: template, url, request_templates, responses, ...}` (templates.py) |
| `aws` (AWS service call), `aws_proxy` with `integrationSubtype` | refused by name, or with --stub-aws-services |
| | `{type: mock, status: 500}` answering AWS's 500 shape, so that its authorization still runs |
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from gatepost.integrations.registry import KINDS
from gatepost.openapi.authorizers import function_arn, function_name
from gatepost.openapi.context import PARTIAL_FIX, Ctx
from gatepost.openapi.document import Operation
from gatepost.openapi.fates import Path
from gatepost.openapi.templates import map_template, static_mock

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\+?\}")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_SERVICE = re.compile(r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:([a-z0-9.-]+):(.+)$")
EXTENSION = "x-amazon-apigateway-integration"
AWS_500 = '{"message": "Internal server error"}'
_DIRECT = "the bound local target is called directly (no IAM role is assumed)"


def map_integration(op: Operation, integ: Any, at: Path, ctx: Ctx) -> dict[str, Any] | None:
    """`at` is the integration's own place (a `$ref`'d component's, when the operation refers to one)."""
    if not isinstance(integ, Mapping):
        ctx.refuse(op.loc, f"{op.label} has no {EXTENSION}: nothing to send the request to",
                   "add the integration (aws_proxy, http_proxy, http, mock)")
        return None
    itype = str(integ.get("type", "")).lower()
    ctx.done((*at, "type"), f"integration type {itype}")
    _common(integ, at, itype, ctx)
    if itype == "aws_proxy" and not integ.get("integrationSubtype") and "/functions/" in str(integ.get("uri", "")):
        return _aws_proxy(integ, at, ctx)
    if itype in ("aws", "aws_proxy"):
        return _aws_service(op, integ, at, ctx)
    if itype == "http_proxy":
        return _http_proxy(op, integ, at, ctx)
    if itype == "mock":
        return static_mock(integ, at, ctx) or map_template(op, integ, at, None, ctx)
    if itype == "http":
        url = _backend_url(op, integ, at, ctx, appends_path=False)
        return map_template(op, integ, at, url, ctx) if url is not None else None
    ctx.refuse((*at, "type"), f"{op.label}: unknown integration type {integ.get('type')!r}",
               "use aws_proxy, http_proxy, http, aws or mock")
    return None


def _common(integ: Mapping[str, Any], at: Path, itype: str, ctx: Ctx) -> None:
    """Fields whose fate does not depend on the integration type."""
    proxy = itype.endswith("_proxy")
    if "credentials" in integ:
        ctx.same((*at, "credentials"), _DIRECT)
    if "description" in integ:
        ctx.same((*at, "description"), "documentation: no effect on requests")
    connection = str(integ.get("connectionType", "INTERNET")).upper()
    if "connectionType" in integ:
        ctx.same((*at, "connectionType"), "the backend is reached at its bound URL" + (
            " (the urls: binding stands in for the VPC link's private network)" if connection == "VPC_LINK" else ""))
    if "connectionId" in integ:
        if connection == "VPC_LINK":
            ctx.same((*at, "connectionId"), "the VPC link: its backend is the URI's urls: binding")
        else:
            ctx.refuse((*at, "connectionId"), "connectionId without connectionType VPC_LINK", "remove it")
    _tls(integ.get("tlsConfig"), (*at, "tlsConfig"), ctx)
    keys = integ.get("cacheKeyParameters")
    if keys:
        ctx.refuse((*at, "cacheKeyParameters"), "integration response caching (cacheKeyParameters) is not supported: "
                   "every request would reach the backend", f"remove cacheKeyParameters, {PARTIAL_FIX}")
    elif "cacheKeyParameters" in integ:
        ctx.same((*at, "cacheKeyParameters"), "no cache keys: nothing cached, as on AWS")
    if "cacheNamespace" in integ:
        ctx.same((*at, "cacheNamespace"), "names AWS's cache: nothing is cached here (cache keys have their own fate)")
    if "timeoutInMillis" in integ and itype == "mock":
        ctx.same((*at, "timeoutInMillis"), "a mock answers at once")
    if proxy:
        for name in ("requestTemplates", "responses", "passthroughBehavior"):
            if name in integ:
                ctx.same((*at, name), "AWS does not apply it to proxy integrations: the request passes unchanged")
    if "contentHandling" in integ:
        ctx.refuse((*at, "contentHandling"), f"contentHandling {integ['contentHandling']!r} (body conversion "
                   "between text and binary) is not supported", "remove it; bodies pass as they are")
    if "responseParameters" in integ:
        ctx.refuse((*at, "responseParameters"), "HTTP API response parameter mapping is not supported",
                   f"set the headers in the backend, {PARTIAL_FIX}")


def _tls(tls: Any, at: Path, ctx: Ctx) -> None:
    if tls is None:
        return
    if not isinstance(tls, Mapping):
        ctx.refuse(at, "tlsConfig must be a mapping", "remove it")
        return
    for key, value in tls.items():
        if key == "insecureSkipVerification" and value is False:
            ctx.same((*at, key), "certificates are verified, as always")
        elif key == "insecureSkipVerification":
            ctx.refuse((*at, key), "skipping certificate verification is not supported: Gatepost always verifies "
                       "the backend's certificate", "give the backend a certificate the machine trusts, and remove it")
        else:
            ctx.refuse((*at, key), f"tlsConfig.{key} is not supported (the backend's certificate is checked "
                       "against the URL's host name)", f"remove it, {PARTIAL_FIX}")


def _aws_proxy(integ: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, Any] | None:
    arn = function_arn(str(integ.get("uri", "")))
    ctx.same((*at, "httpMethod"), "Lambda is always invoked with POST, as by API Gateway")
    if "payloadFormatVersion" in integ:
        ctx.done((*at, "payloadFormatVersion"), "payload_format_version")
    if arn is None:
        ctx.refuse((*at, "uri"), f"aws_proxy uri {integ.get('uri')!r} does not name a Lambda function",
                   "use arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations")
        return None
    target = ctx.bindings.function(arn)
    if target is None:
        ctx.refuse((*at, "uri"), f"Lambda function {arn} is not bound",
                   f"add to the bindings file: functions: {{\"{arn}\": \"module:function\"}} "
                   "(or {url: http://...} for an HTTP service standing in for it)")
        return None
    if target.url is not None:
        ctx.same((*at, "uri"), f"the function's stand-in HTTP service {target.url} (bindings)")
        return _with_timeout("http", {"type": "http", "url": target.url}, integ, at, ctx)
    ctx.done((*at, "uri"), f"the function's handler {target.handler} (bindings)")
    cfg: dict[str, Any] = {"type": "lambda", "handler": target.handler, "function_name": function_name(arn)}
    if ctx.flavour == "http":
        cfg["payload_format_version"] = str(integ.get("payloadFormatVersion", "2.0"))
    return _with_timeout("lambda", cfg, integ, at, ctx)


def _with_timeout(kind: str, cfg: dict[str, Any], integ: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, Any]:
    """timeoutInMillis -> timeout_ms (both native kinds have it)."""
    if integ.get("timeoutInMillis") is not None and "timeout_ms" in KINDS[kind].model.model_fields:
        cfg["timeout_ms"] = int(integ["timeoutInMillis"])
        ctx.done((*at, "timeoutInMillis"), "timeout_ms")
    return cfg


def _aws_service(op: Operation, integ: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, Any] | None:
    """AWS service calls (DynamoDB, SQS, Step Functions...) cannot run here: refused by name, or stubbed."""
    service = _service_name(integ)
    if not ctx.options.stub_aws_services:
        ctx.refuse(at, f"{op.label}: the AWS service integration {service} cannot run here",
                   "put a Lambda function or an HTTP backend behind this route, or import with "
                   "--stub-aws-services to serve it as a route answering AWS's 500 (its authorization still runs)")
        return None
    ctx.same(at, f"--stub-aws-services: {service} is not called; the route answers AWS's 500 "
                 f"{AWS_500} after authorization")
    return {"type": "mock", "status": 500, "headers": {"content-type": "application/json"}, "body": AWS_500}


def _service_name(integ: Mapping[str, Any]) -> str:
    if integ.get("integrationSubtype"):
        return str(integ["integrationSubtype"])
    match = _SERVICE.match(str(integ.get("uri", "")))
    return f"{match.group(1)} {match.group(2)}" if match else repr(integ.get("uri"))


def _http_proxy(op: Operation, integ: Mapping[str, Any], at: Path, ctx: Ctx) -> dict[str, Any] | None:
    method = str(integ.get("httpMethod", "ANY")).upper()
    if method not in ("ANY", op.method):
        ctx.refuse((*at, "httpMethod"), f"the integration's httpMethod {method} differs from the route's "
                   f"{op.method}", "Gatepost forwards the caller's method: set httpMethod to ANY or to the route's")
    elif "httpMethod" in integ:
        ctx.done((*at, "httpMethod"), "the caller's method is forwarded")
    if "payloadFormatVersion" in integ:
        ctx.same((*at, "payloadFormatVersion"), "HTTP proxies send the request itself (no payload format)")
    params = integ.get("requestParameters") or {}
    for target, source in params.items():
        name = str(target).removeprefix("integration.request.path.")
        where = (*at, "requestParameters", target)
        if source == f"method.request.path.{name}":
            ctx.done(where, f"the path parameter {name} fills {{{name}}} in the URL")
        else:
            ctx.refuse(where, f"requestParameters {target}: {source} is not supported on a proxy integration (only "
                       "a path parameter passed on under its own name)", "do the mapping in the backend")
    if "requestParameters" in integ and not params:
        ctx.same((*at, "requestParameters"), "no parameters to map")
    url = _backend_url(op, integ, at, ctx, appends_path=True)
    return None if url is None else _with_timeout("http", {"type": "http", "url": url}, integ, at, ctx)


def _backend_url(op: Operation, integ: Mapping[str, Any], at: Path, ctx: Ctx, *, appends_path: bool) -> str | None:
    uri = str(integ.get("uri", ""))
    url = ctx.bindings.url(uri)
    if url is None:
        host = urlsplit(uri).hostname or ""
        if host not in _LOOPBACK_HOSTS and f"[{host}]" not in _LOOPBACK_HOSTS:
            ctx.refuse((*at, "uri"), f"backend URI {uri} is not bound to a local target",
                       f"add to the bindings file: urls: {{\"{_origin(uri)}\": \"http://127.0.0.1:PORT\"}}")
            return None
        url = uri
    if "${" in url:
        ctx.refuse((*at, "uri"), f"backend URI {uri} uses stage variables", "bind the URI prefix in `urls:`")
        return None
    if appends_path:
        url, problem = _native_url(op, url)
        if problem:
            ctx.refuse((*at, "uri"), *problem)
            return None
    ctx.done((*at, "uri"), url if url == uri else f"{url} (urls: binding)")
    return url


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme else uri


def _native_url(op: Operation, url: str) -> tuple[str, tuple[str, str] | None]:
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
