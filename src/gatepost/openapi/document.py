"""Read an AWS API Gateway export: its operations, security schemes and API facts (flavour, stage, ids).

Both OpenAPI 3 (`components.securitySchemes`, `servers`) and Swagger 2 (`securityDefinitions`, `host`,
`basePath`). Nothing here decides anything native; convert.py does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.openapi.fates import Path as Loc

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"
DEFAULT_PATH = "/$default"
INTEGRATION = "x-amazon-apigateway-integration"
_EXECUTE_API_HOST = re.compile(r"^(?:https?://)?([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com", re.I)
_ARN_ACCOUNT = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):(\d{12}):")


def is_openapi(data: Any) -> bool:
    return isinstance(data, Mapping) and ("openapi" in data or "swagger" in data) and "apis" not in data


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # GET, POST, ... or ANY
    path: str  # the OpenAPI path, e.g. /pets/{id}, /{proxy+}, /$default
    op: Mapping[str, Any]
    loc: Loc

    @property
    def is_default_route(self) -> bool:
        return self.path == DEFAULT_PATH or bool(self.op.get("isDefaultRoute"))

    @property
    def route_key(self) -> str:
        return "$default" if self.is_default_route else f"{self.method} {self.path}"

    @property
    def label(self) -> str:
        return f"operation {self.route_key}"


class Document:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.swagger2 = "swagger" in data and "openapi" not in data

    @property
    def version(self) -> str:
        return f"Swagger {self.data.get('swagger')}" if self.swagger2 else f"OpenAPI {self.data.get('openapi')}"

    @property
    def title(self) -> str:
        info = self.data.get("info")
        return str(info.get("title", "api")) if isinstance(info, Mapping) else "api"

    def schemes_loc(self) -> Loc:
        return ("securityDefinitions",) if self.swagger2 else ("components", "securitySchemes")

    def schemes(self) -> Mapping[str, Any]:
        if self.swagger2:
            found = self.data.get("securityDefinitions")
        else:
            comps = self.data.get("components")
            found = comps.get("securitySchemes") if isinstance(comps, Mapping) else None
        return found if isinstance(found, Mapping) else {}

    def operations(self) -> Iterator[Operation]:
        paths = self.data.get("paths")
        if not isinstance(paths, Mapping):
            return
        for path, item in paths.items():
            if not isinstance(item, Mapping):
                continue
            for key, op in item.items():
                if key in HTTP_METHODS and isinstance(op, Mapping):
                    yield Operation(key.upper(), str(path), op, ("paths", path, key))
                elif key == ANY_METHOD and isinstance(op, Mapping):
                    yield Operation("ANY", str(path), op, ("paths", path, key))

    def integration_of(self, op: Operation) -> tuple[Any, Loc]:
        """The operation's integration and its place: a `$ref` to components/x-amazon-apigateway-integrations
        (the form AWS exports shared integrations in) is followed; (None, the operation's place) if absent."""
        at: Loc = (*op.loc, INTEGRATION)
        integ = op.op.get(INTEGRATION)
        ref = integ.get("$ref") if isinstance(integ, Mapping) else None
        if not isinstance(ref, str):
            return integ, at
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in ref.removeprefix("#/").split("/"))
        node: Any = self.data
        for part in parts:
            node = node.get(part) if isinstance(node, Mapping) else None
        return (node, parts) if ref.startswith("#/") and node is not None else (None, at)

    def security_of(self, op: Operation) -> Any:
        """The operation's `security` (an empty list overrides the document's), else the document's."""
        return op.op["security"] if "security" in op.op else self.data.get("security")

    def server_url(self) -> str:
        if self.swagger2:
            return f"{self.data.get('host', '')}{self.data.get('basePath', '')}"
        servers = self.data.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], Mapping):
            return ""
        url = str(servers[0].get("url", ""))
        variables = servers[0].get("variables") or {}
        for name, var in variables.items():
            default = var.get("default", "") if isinstance(var, Mapping) else ""
            url = url.replace("{" + str(name) + "}", str(default).strip("/"))
        return url

    def stage(self) -> str | None:
        """AWS exports put the stage in the base path (`/prod`): URLs carry no stage in Gatepost."""
        match = _EXECUTE_API_HOST.match(self.server_url())
        if self.swagger2:
            base = str(self.data.get("basePath", "")).strip("/")
        elif match:
            base = self.server_url()[match.end():].strip("/")
        else:
            base = ""
        return base or None

    def api_id_and_region(self) -> tuple[str | None, str | None]:
        match = _EXECUTE_API_HOST.match(self.server_url())
        return (match.group(1), match.group(2)) if match else (None, None)

    def first_arn_account(self) -> tuple[str | None, str | None]:
        """(region, account) of the first ARN in the document that carries both."""
        match = _ARN_ACCOUNT.search(repr(self.data))
        return (match.group(1), match.group(2)) if match else (None, None)

    def looks_like_http_api(self) -> bool:
        if "x-amazon-apigateway-importexport-version" in self.data or "x-amazon-apigateway-cors" in self.data:
            return True
        for scheme in self.schemes().values():
            auth = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, Mapping) else None
            if isinstance(auth, Mapping) and (str(auth.get("type", "")).lower() == "jwt"
                                              or "authorizerPayloadFormatVersion" in auth):
                return True
        for op in self.operations():
            integ = op.op.get("x-amazon-apigateway-integration")
            if op.is_default_route or (isinstance(integ, Mapping) and "payloadFormatVersion" in integ):
                return True
        return False
