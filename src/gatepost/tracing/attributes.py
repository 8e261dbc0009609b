"""What each span says, in OpenTelemetry's HTTP semantic conventions (`http.*`, `url.*`, `server.*`, `client.*`)
plus the gateway's own `gatepost.*` (reason codes, outcome, api, authorizer).

Never an attribute: a header value other than `User-Agent`, a token, a key, a signature, the query string (it
may carry an API key or a token: `url.query` is left out and `url.full` has no query), a principal's id or claims.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# RFC 9110's methods and PATCH: any other is "_OTHER" (the semantic conventions' rule, bounding cardinality)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


def method_attributes(method: str) -> dict[str, Any]:
    if method in KNOWN_METHODS:
        return {"http.request.method": method}
    return {"http.request.method": "_OTHER", "http.request.method_original": method}


def server_address(host: str) -> tuple[str, int | None]:
    """`Host` split into name and port (`[::1]:8080`, `example.com`)."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    return name, int(port) if port.isdigit() else None


def server_span(ex: Any) -> tuple[str, dict[str, Any], str | None]:
    """(name, attributes, error) of the request's server span, from the pipeline's Exchange once it ran. Only
    what the authorizer and integration spans do not already say (each attribute costs at every export)."""
    req = ex.req
    attrs = method_attributes(req.method)
    attrs["url.path"] = req.path
    attrs["url.scheme"] = req.scheme
    attrs["client.address"] = req.source_ip
    if req.peer_ip != req.source_ip:  # behind a trusted proxy
        attrs["network.peer.address"] = req.peer_ip
    name, port = server_address(req.host)
    if name:
        attrs["server.address"] = name
    attrs["server.port"] = port if port is not None else int(req.server_port)
    agent = req.header_map.get("user-agent")
    if agent:
        attrs["user_agent.original"] = agent
    attrs["http.response.status_code"] = ex.status
    attrs["gatepost.request_id"] = req.request_id
    attrs["gatepost.reason"] = ex.reason
    if ex.api is not None:
        attrs["gatepost.api"] = ex.api.name
    span_name = attrs["http.request.method"] if attrs["http.request.method"] != "_OTHER" else "HTTP"
    if ex.match is not None:
        route = ex.match.resource_path
        attrs["http.route"] = route
        span_name = f"{span_name} {route}"
    decision = ex.decision
    if decision is not None and decision.kind != "none":
        attrs["gatepost.outcome"] = str(decision.outcome)
    error = None
    if ex.error_type:
        attrs["gatepost.error_type"] = ex.error_type
    if ex.status >= 500:  # a server span's status is ERROR for 5xx only (4xx are the client's)
        error = attrs["error.type"] = str(ex.status)
    return span_name, attrs, error


def authorizer_attributes(name: str, kind: str) -> dict[str, Any]:
    return {"gatepost.authorizer": name, "gatepost.auth_type": kind}


def integration_attributes(describe: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(span name prefix, attributes) of an integration, from its `describe()`, computed once per integration."""
    kind = describe.get("kind", "?")
    attrs: dict[str, Any] = {"gatepost.integration": kind}
    if kind == "http" and isinstance(describe.get("url"), str):
        parts = urlsplit(describe["url"])
        if parts.hostname:
            attrs["server.address"] = parts.hostname
            attrs["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
        if "{" in describe["url"]:
            attrs["url.template"] = describe["url"]
        return "", attrs
    if kind == "lambda":
        attrs["faas.invoked_name"] = describe.get("handler", "")
        return f"invoke {describe.get('handler', '')}", attrs
    return f"integration {kind}", attrs
