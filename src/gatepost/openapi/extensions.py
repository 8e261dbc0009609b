"""The document's top-level x-amazon-apigateway-* extensions -> native API settings, each with its fate.

Operation-level extensions (integration, auth, request-validator) are mapped with their operation; any
other extension, at any level, has no mapper and is refused by the ledger's walk ("not read").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.openapi.context import PARTIAL_FIX, Ctx
from gatepost.openapi.document import Document
from gatepost.openapi.responses import map_cors, map_gateway_responses

PREFIX = "x-amazon-apigateway-"
_DOCS = ("documentation", "tag-value")
_GATEWAY_RESPONSE_READ = ("statusCode", "responseParameters", "responseTemplates")


def map_root_extensions(doc: Document, api: dict[str, Any], ctx: Ctx) -> None:
    data = doc.data
    for key in _DOCS:
        if PREFIX + key in data:
            ctx.same((PREFIX + key,), "documentation and tags: no effect on requests")
    if PREFIX + "importexport-version" in data:
        ctx.done((PREFIX + "importexport-version",), "flavour: http")
    if PREFIX + "minimum-compression-size" in data:
        ctx.same((PREFIX + "minimum-compression-size",), "responses are sent uncompressed: the same content")
    _binary_media_types(data.get(PREFIX + "binary-media-types"), api, ctx)
    _endpoint(data.get(PREFIX + "endpoint-configuration"), ctx)
    if PREFIX + "disable-execute-api-endpoint" in data:
        _disable_default_endpoint(data[PREFIX + "disable-execute-api-endpoint"],
                                  (PREFIX + "disable-execute-api-endpoint",), ctx)
    _api_key_source(data.get(PREFIX + "api-key-source"), api, ctx)
    if PREFIX + "policy" in data:
        if ctx.flavour != "rest":
            ctx.refuse((PREFIX + "policy",), "resource policies exist on REST APIs only", "remove it")
        else:
            api["resource_policy"] = data[PREFIX + "policy"]
            ctx.done((PREFIX + "policy",), "resource_policy")
    for key, native, mapper in (("gateway-responses", "gateway_responses", map_gateway_responses),
                                ("cors", "cors", map_cors)):
        if PREFIX + key in data:
            value, problems = mapper(data[PREFIX + key])
            for problem, fix in problems:
                ctx.refuse((PREFIX + key,), problem, fix)
            if not problems and key == "gateway-responses":
                _record_gateway_responses(data[PREFIX + key], ctx)
            elif not problems:
                ctx.done((PREFIX + key,), native)
            api[native] = value


def _record_gateway_responses(raw: Mapping[str, Any], ctx: Ctx) -> None:
    """Field by field: a field the mapping does not read is refused by the ledger's walk, never dropped."""
    for rtype, spec in raw.items():
        for key in spec:
            if key in _GATEWAY_RESPONSE_READ:
                ctx.done((PREFIX + "gateway-responses", rtype, key), f"gateway_responses.{rtype}")


def _binary_media_types(raw: Any, api: dict[str, Any], ctx: Ctx) -> None:
    if raw is None:
        return
    at = (PREFIX + "binary-media-types",)
    if ctx.flavour != "rest" or not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        ctx.refuse(at, "binary media types need a REST API and a list of media types", "fix or remove it")
        return
    api["binary_media_types"] = list(raw)
    ctx.done(at, "binary_media_types")


def _endpoint(raw: Any, ctx: Ctx) -> None:
    if raw is None:
        return
    at = (PREFIX + "endpoint-configuration",)
    if not isinstance(raw, Mapping):
        ctx.refuse(at, "endpoint configuration must be a mapping", "remove it")
        return
    for key, value in raw.items():
        where = (*at, key)
        if key == "types" and isinstance(value, list) and "PRIVATE" not in [str(v).upper() for v in value]:
            ctx.same(where, f"{'/'.join(map(str, value))} endpoint: Gatepost serves on server.host/port")
        elif key == "types":
            ctx.refuse(where, "a PRIVATE API answers only inside its VPC; Gatepost cannot tell where a caller is",
                       f"restrict server.host to a private interface and drop PRIVATE, {PARTIAL_FIX}")
        elif key == "vpcEndpointIds":
            ctx.refuse(where, "vpcEndpointIds (only these VPC endpoints may call the API) has no Gatepost "
                       "equivalent", "restrict callers with resource_policy (aws:SourceIp) or the network, "
                       f"and remove it, {PARTIAL_FIX}")
        elif key == "disableExecuteApiEndpoint":
            _disable_default_endpoint(value, where, ctx)
        elif key == "ipAddressType":
            ctx.same(where, "the listen address (server.host) decides IPv4 or IPv6")


def _disable_default_endpoint(value: Any, at: tuple[Any, ...], ctx: Ctx) -> None:
    if value is True:
        ctx.refuse(at, "disabling the default endpoint (only custom domains answer) has no Gatepost equivalent",
                   f"list the API's custom domains in the bindings' api: {{hosts: [...]}}, and remove it, "
                   f"{PARTIAL_FIX}")
    else:
        ctx.same(at, "the default endpoint stays enabled: Gatepost serves every host unless api.hosts is set")


def _api_key_source(source: Any, api: dict[str, Any], ctx: Ctx) -> None:
    if source is None:
        return
    at = (PREFIX + "api-key-source",)
    if str(source).upper() not in ("HEADER", "AUTHORIZER") or ctx.flavour != "rest":
        ctx.refuse(at, f"api key source {source!r} needs a REST API and HEADER or AUTHORIZER", "fix the value")
        return
    api["api_key_source"] = str(source).upper()
    ctx.done(at, "api_key_source")
