"""Which kind of API an export describes, and why: REST API (v1) or HTTP API (v2).

The rule, in order (the first that applies decides):

1. `--flavour rest|http` (or `api: {flavour: ...}` in the bindings): the user said so;
2. a mark only HTTP API exports carry: `x-amazon-apigateway-importexport-version`, `x-amazon-apigateway-cors`,
   a `jwt` authorizer, `authorizerPayloadFormatVersion`, an integration's `payloadFormatVersion`, a `$default`
   route (`/$default` or `isDefaultRoute`);
3. otherwise REST: what every REST export looks like, and what a document without AWS marks (documentation
   style) is imported as.

`Flavour.reason` states which step decided, with the JSON pointer of the mark; `import` prints it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.openapi.document import Document
from gatepost.openapi.fates import pointer

FLAVOURS = ("rest", "http")
_ROOT_MARKS = ("x-amazon-apigateway-importexport-version", "x-amazon-apigateway-cors")


@dataclass(frozen=True, slots=True)
class Flavour:
    name: str  # rest | http
    reason: str

    def statement(self) -> str:
        return f"flavour: {self.name} ({self.reason})"


def decide(doc: Document, override: str | None, override_source: str = "--flavour") -> Flavour:
    if override:
        return Flavour(override, f"{override_source} {override}")
    mark = http_mark(doc)
    if mark is not None:
        return Flavour("http", f"HTTP API mark {mark}; --flavour rest overrides")
    return Flavour("rest", "no HTTP API mark in the document; --flavour http overrides")


def http_mark(doc: Document) -> str | None:
    """The JSON pointer (and what is there) of the first HTTP-API-only mark, or None."""
    for key in _ROOT_MARKS:
        if key in doc.data:
            return pointer((key,))
    for name, scheme in doc.schemes().items():
        auth = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, Mapping) else None
        if not isinstance(auth, Mapping):
            continue
        at = pointer((*doc.schemes_loc(), name, "x-amazon-apigateway-authorizer"))
        if str(auth.get("type", "")).lower() == "jwt":
            return f"{at}/type (jwt)"
        if "authorizerPayloadFormatVersion" in auth:
            return f"{at}/authorizerPayloadFormatVersion"
    for op in doc.operations():
        if op.is_default_route:
            return f"{pointer(op.loc)} ($default route)"
        integ: Any = op.op.get("x-amazon-apigateway-integration")
        if isinstance(integ, Mapping) and "payloadFormatVersion" in integ:
            return pointer((*op.loc, "x-amazon-apigateway-integration", "payloadFormatVersion"))
    return None
