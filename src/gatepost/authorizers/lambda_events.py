"""The events a Lambda authorizer receives, exactly AWS's (reference sections 1.1-1.3).

- REST TOKEN: three keys, `type`, `authorizationToken` (the whole header value, `Bearer ` and all),
  `methodArn` (the real verb and path).
- REST REQUEST: the proxy event's request shape (integrations/events.py, without the body) plus `type`
  and `methodArn`, those two first as in AWS's examples; `pathParameters` is `{}` when the route has
  none (AWS's developer-guide and SAM CLI samples), where the proxy event has null.
- HTTP API payload 1.0: the same plus `version`, `identitySource` and `authorizationToken` (the
  identity values joined with commas).
- HTTP API payload 2.0: the 2.0 event's request shape (without the body) plus `type`, `routeArn` and
  `identitySource` (a list).

Authorizer events never carry the request body (AWS does not send it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatepost.integrations.events import http_v2_event, rest_v1_event

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest

_BODY_KEYS = ("body", "isBase64Encoded")


def token_event(token: str, match: Match) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": match.method_arn}


def request_event(req: GatewayRequest, match: Match, payload_version: str | None,
                  identity: tuple[str, ...]) -> dict[str, Any]:
    """`payload_version`: None on REST APIs, "1.0" or "2.0" on HTTP APIs."""
    if payload_version == "2.0":
        return _v2(req, match, identity)
    shape = _without_body(rest_v1_event(req, match, None))
    shape.pop("version", None)
    if payload_version is None and shape["pathParameters"] is None:
        shape["pathParameters"] = {}  # REST REQUEST authorizer events: {} where the proxy event has null (AWS)
    head: dict[str, Any] = {"type": "REQUEST", "methodArn": match.method_arn}
    if payload_version == "1.0":
        joined = ",".join(identity)
        head = {"version": "1.0", **head, "identitySource": joined, "authorizationToken": joined}
    return {**head, **shape}


def _v2(req: GatewayRequest, match: Match, identity: tuple[str, ...]) -> dict[str, Any]:
    shape = _without_body(http_v2_event(req, match, None))
    del shape["version"]
    route_key = shape.pop("routeKey")
    head = {"version": "2.0", "type": "REQUEST", "routeArn": match.method_arn, "identitySource": list(identity),
            "routeKey": route_key}
    return {**head, **shape}


def _without_body(event: dict[str, Any]) -> dict[str, Any]:
    for key in _BODY_KEYS:
        event.pop(key, None)
    return event
