"""Identity sources of a Lambda authorizer: where each value is read, and AWS's presence check.

Accepted spellings (ours first, then AWS's REST and HTTP API forms):

| source | spellings |
|---|---|
| header (name case-insensitive) | `header.X`, `method.request.header.X`, `$request.header.X` |
| query string (case-sensitive) | `query.X`, `querystring.X`, `method.request.querystring.X`, `$request.querystring.X` |
| stage variable | `stage_variable.X`, `stageVariables.X`, `$stageVariables.X` |
| context variable | `context.X`, `$context.X` (X one of CONTEXT_VARIABLES) |

Path parameters cannot be identity sources (as on AWS). Repeated headers / query parameters: REST
takes the last value (its single-value maps), HTTP APIs join them with commas (their event format).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest

_Reader = Callable[["GatewayRequest", "Match"], str | None]

CONTEXT_VARIABLES: dict[str, _Reader] = {
    "httpMethod": lambda req, m: m.method,
    "resourcePath": lambda req, m: m.resource_path,
    "routeKey": lambda req, m: m.route.route_key,
    "path": lambda req, m: m.api_path,
    "stage": lambda req, m: m.api.info.stage,
    "apiId": lambda req, m: m.api.info.api_id,
    "accountId": lambda req, m: m.api.info.account_id,
    "requestId": lambda req, m: req.request_id,
    "domainName": lambda req, m: req.host.rsplit(":", 1)[0] if req.host else None,
    "identity.sourceIp": lambda req, m: req.source_ip,
    "identity.userAgent": lambda req, m: req.user_agent,
}

_PREFIXES: tuple[tuple[str, str], ...] = (
    ("method.request.header.", "header"),
    ("$request.header.", "header"),
    ("header.", "header"),
    ("method.request.querystring.", "querystring"),
    ("$request.querystring.", "querystring"),
    ("querystring.", "querystring"),
    ("query.", "querystring"),
    ("$stageVariables.", "stage_variable"),
    ("stageVariables.", "stage_variable"),
    ("stage_variable.", "stage_variable"),
    ("$context.", "context"),
    ("context.", "context"),
)


class IdentitySourceError(ValueError):
    """An identity source that cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class IdentitySource:
    where: str  # header | querystring | stage_variable | context
    name: str
    text: str  # as configured

    def read(self, req: GatewayRequest, match: Match, joined: bool) -> str | None:
        if self.where == "header":
            values = req.header_values(self.name)
            return (",".join(values) if joined else values[-1]) if values else None
        if self.where == "querystring":
            values = req.query_values(self.name)
            return (",".join(values) if joined else values[-1]) if values else None
        if self.where == "stage_variable":
            return match.api.info.stage_variables.get(self.name)
        return CONTEXT_VARIABLES[self.name](req, match)


def parse_identity_source(text: str) -> IdentitySource:
    text = text.strip()
    if text.startswith(("method.request.path.", "$request.path.", "path.")):
        raise IdentitySourceError(f"identity source {text!r}: path parameters cannot be identity sources "
                                  "(as on AWS); use a header, query string, stage or context variable")
    for prefix, where in _PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            name = text[len(prefix):]
            if where == "context" and name not in CONTEXT_VARIABLES:
                known = ", ".join(sorted(CONTEXT_VARIABLES))
                raise IdentitySourceError(f"identity source {text!r}: unknown context variable (known: {known})")
            return IdentitySource(where, name.lower() if where == "header" else name, text)
    raise IdentitySourceError(f"identity source {text!r}: write it as header.NAME, query.NAME, "
                              "stage_variable.NAME or context.NAME (AWS spellings are accepted too)")


@dataclass(frozen=True, slots=True)
class IdentitySources:
    """All identity sources of one authorizer: the cache key and the presence check, in config order."""

    sources: tuple[IdentitySource, ...]
    joined: bool  # HTTP APIs: repeated values comma-joined; REST: last value

    def extract(self, req: GatewayRequest, match: Match) -> tuple[str, ...] | None:
        """The values in order, or None when any is missing or empty (401 without invoking)."""
        values = []
        for source in self.sources:
            value = source.read(req, match, self.joined)
            if not value:
                return None
            values.append(value)
        return tuple(values)

    def describe(self) -> str:
        return ", ".join(s.text for s in self.sources) or "-"


def parse_identity_sources(texts: list[str], flavour: str) -> IdentitySources:
    return IdentitySources(tuple(parse_identity_source(t) for t in texts), joined=flavour == "http")
