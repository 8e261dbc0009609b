"""AWS Lambda Powertools event handlers on Lambda, unchanged: `rest_handler` (APIGatewayRestResolver, REST
APIs) and `http_handler` (APIGatewayHttpResolver, HTTP APIs). The routes are written once and registered on
both resolvers. Mounted at `/powertools` (a custom domain's base path mapping): `strip_prefixes` removes it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.shared.cookies import Cookie

BLOB = bytes(range(256))  # not UTF-8: only base64 carries it


def _body(app: ApiGatewayResolver) -> bytes:
    event = app.current_event
    raw = event.body or ""
    return base64.b64decode(raw) if event.is_base64_encoded else raw.encode()


def _values(mapping: dict[str, Any] | None, name: str) -> list[str]:
    """Every value of `name`, case-insensitively, from a multi-value map (REST) or a joined one (HTTP)."""
    found: list[str] = []
    for key, value in (mapping or {}).items():
        if key.lower() == name:
            found.extend(value if isinstance(value, list) else [value])
    return found


def register(app: ApiGatewayResolver) -> ApiGatewayResolver:
    @app.get("/items/<item_id>")
    def read_item(item_id: str) -> dict[str, Any]:
        event = app.current_event
        multi_query = getattr(event, "multi_value_query_string_parameters", None)
        multi_headers = getattr(event, "multi_value_headers", None)
        cookies = getattr(event, "cookies", None) or _values(event.headers, "cookie")
        return {"item_id": item_id,
                "tags": _values(multi_query, "tag") or _values(event.query_string_parameters, "tag"),
                "multi": _values(multi_headers, "x-multi") or _values(event.headers, "x-multi"),
                "mixed": event.headers.get("x-mixed-case"),  # case-insensitive (Powertools v3)
                "cookies": dict(c.strip().split("=", 1) for entry in cookies for c in entry.split(";") if c.strip()),
                "path": event.path}

    @app.post("/items")
    def create_item() -> dict[str, Any]:
        return {"received": app.current_event.json_body}

    @app.post("/form")
    def form() -> dict[str, Any]:
        return {"form": parse_qs(_body(app).decode())}

    @app.post("/upload")
    def upload() -> dict[str, Any]:
        body = _body(app)
        return {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}

    @app.get("/download")
    def download() -> Response:
        return Response(200, "application/octet-stream", BLOB)

    @app.get("/cookies")
    def cookies() -> Response:
        return Response(200, "application/json", '{"set": "a, b"}',
                        cookies=[Cookie("a", "1", path="/"), Cookie("b", "2", path="/")])

    @app.get("/error")
    def error() -> None:
        raise RuntimeError("boom: secret-detail-42")

    return app


rest_app = register(APIGatewayRestResolver(strip_prefixes=["/powertools"]))
http_app = register(APIGatewayHttpResolver(strip_prefixes=["/powertools"]))


def rest_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return rest_app.resolve(event, context)


def http_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return http_app.resolve(event, context)
