"""One admin operation: the state-reading or state-changing step behind a CLI verb and its admin API twin.

An Operation names its IAM action (`gatepost:CreateApiKey`), its HTTP method and path under /admin/, the
JSON schemas of its parameters and answer (the OpenAPI document is made from them), and `run`, the one
implementation both callers share: the CLI on the catalog (`gatepost keys create`), and the admin port
(`POST /admin/api-keys`). `run` works on the catalog the way the CLI always has, so running gateways
of the config see its changes the same way (they watch the catalog). It never closes the catalog.

Parameters arrive as one dict: the path's `{names}`, the query string (GET and DELETE) or the JSON body.
Refusals are OperationError: 400 for bad input, 404 for an unknown id, 409 for a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gatepost.stores.base import Catalog

Params = dict[str, Any]
Schema = dict[str, Any]


class Scope(Protocol):
    """Where an operation acts: a gateway's config and its catalog (cli.common.CatalogContext is one)."""

    @property
    def config(self) -> Any: ...

    @property
    def config_path(self) -> Path: ...

    @property
    def config_dir(self) -> Path: ...

    @property
    def catalog(self) -> Catalog: ...


@dataclass(frozen=True)
class AdminScope:
    config: Any
    config_path: Path
    config_dir: Path
    catalog: Catalog


class OperationError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> OperationError:
    return OperationError(400, message)


def not_found(message: str) -> OperationError:
    return OperationError(404, message)


def conflict(message: str) -> OperationError:
    return OperationError(409, message)


_NOT_FOUND = re.compile(r"^(no |.* is not (attached|an access key)|.* was deleted meanwhile|.* has no policy)")
_CONFLICT = re.compile(r"(already exists|exists already|already used|is already in plan)")


def refusal(exc: Exception) -> OperationError:
    """A service's ValueError (ApiKeyError, IamAdminError, PoolLookupError...) as 400, 404 or 409."""
    message = str(exc)
    if _NOT_FOUND.match(message):
        return not_found(message)
    if _CONFLICT.search(message):
        return conflict(message)
    return bad_request(message)


@dataclass(frozen=True)
class Operation:
    action: str  # the IAM action without its `gatepost:` prefix
    method: str
    path: str  # under /admin/, with {name} parameters
    summary: str
    run: Callable[[Scope, Params], Any]
    answer: Schema  # the JSON schema of a successful answer
    body: Schema | None = None  # an object schema for the JSON body (POST, PUT, PATCH)
    query: dict[str, Schema] = field(default_factory=dict)  # optional query parameters (GET, DELETE)
    status: int = 200
    refusals: tuple[int, ...] = (400,)

    @property
    def path_names(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


def obj(required: list[str] | tuple[str, ...] = (), **properties: Schema) -> Schema:
    """A request body's object schema: these properties and no others."""
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def view(required: list[str] | tuple[str, ...] = (), **properties: Schema) -> Schema:
    """An answer's object schema: these properties, and maybe others."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def items(schema: Schema) -> Schema:
    return view(["items"], items={"type": "array", "items": schema})


STRING: Schema = {"type": "string"}
NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 1024}
BOOL: Schema = {"type": "boolean"}
INT: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
ANY_OBJECT: Schema = {"type": "object"}
TAGS: Schema = {"type": "object", "additionalProperties": {"type": "string"}}


def nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}
