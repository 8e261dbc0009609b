"""One example for a refused setting: what `check` prints after "e.g." when pydantic refused a value.

From the field itself where it can say (its first Literal value, its default), else from the table of
settings whose default is no example (required ones, lists that must not be empty).
"""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

TABLE: dict[str, str] = {
    "apis": '{shop: {routes: [{route: "GET /health", public: true}], integration: {http: "http://127.0.0.1:9000"}}}',
    "routes": '[{route: "GET /orders/{id}", authorizer: staff}, {route: "GET /health", public: true}]',
    "route": '"GET /orders/{id}"',
    "account_id": '"123456789012"',
    "command": "[python, upstream.py, --port, \"9000\"]",
    "name": "upstream",
    "allow_origins": '["https://app.example.com"]',
    "api_stages": "[{api: shop}]",
    "rate": "100",
    "burst": "200",
    "limit": "1000000",
    "plan": "partners",
    "url": '"http://127.0.0.1:9000"',
    "handler": '"handlers:orders"',
    "issuer": '"https://auth.example.com/"',
    "cert": "cert.pem",
    "key": "key.pem",
}


def example_for(model: type[BaseModel] | None, key: str | int) -> str | None:
    """`key: <this>` is a working setting of `model` (None when nothing sensible is known)."""
    if not isinstance(key, str):
        return None
    field = model.model_fields.get(key) if model is not None else None
    if field is not None:
        if field.examples:
            return _flow(field.examples[0])
        literal = _first_literal(field.annotation)
        if literal is not None:
            return _flow(literal)
        if key in TABLE:
            return TABLE[key]
        default = field.default
        if default is not PydanticUndefined and default not in (None, "", [], {}) \
                and not isinstance(default, BaseModel):
            return _flow(default)
    return TABLE.get(key)


def _first_literal(annotation: Any) -> Any:
    for tp in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(tp) is typing.Literal:
            return typing.get_args(tp)[0]
    return None


def _flow(value: Any) -> str:
    plain = isinstance(value, str) and value and value.replace("_", "").replace("-", "").replace(".", "").isalnum()
    return str(value) if plain else json.dumps(value)
