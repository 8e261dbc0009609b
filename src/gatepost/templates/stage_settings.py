"""A stage's throttling settings -> the stage and route throttles the gateway enforces (`throttle:` of the
API and of its routes, `by: global`: AWS's stage and method limits count every caller together).

- REST (`AWS::ApiGateway::Stage` `MethodSettings`): `ResourcePath: /*` + `HttpMethod: *` is the whole
  stage; any other entry names a resource path (`/~1orders~1{id}`: `/` written `~1`, as AWS does) and a
  method (`*`: every method of that path). `ThrottlingRateLimit` / `ThrottlingBurstLimit` become the
  token bucket (a rate alone gets a burst of the rate, as usage plans do).
- HTTP (`AWS::ApiGatewayV2::Stage`): `DefaultRouteSettings` is the stage, `RouteSettings` a route by key.
- A REST `AWS::ApiGateway::Deployment` with `StageName` and `StageDescription` (the stage it creates): the
  description's own `ThrottlingRateLimit` / `ThrottlingBurstLimit` are the stage, its `MethodSettings` as above.

A limit that names no route of the API, or a rate or burst of 0 (which refuses every request on AWS; not a
bucket Gatepost keeps), is refused by name. Caching, logging, data trace and metrics settings do not
decide who may call what: they are listed as ignored, with what happens instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.templates.intrinsics import Resolver, of_type

REST_STAGE = "AWS::ApiGateway::Stage"
HTTP_STAGE = "AWS::ApiGatewayV2::Stage"
DEPLOYMENT = "AWS::ApiGateway::Deployment"  # its StageDescription: the settings of the stage it creates
THROTTLE_KEYS = ("ThrottlingRateLimit", "ThrottlingBurstLimit")
IGNORED = {
    "CachingEnabled": "no response cache: every request reaches the integration",
    "CacheTtlInSeconds": "no response cache: every request reaches the integration",
    "CacheDataEncrypted": "no response cache: every request reaches the integration",
    "RequireAuthorizationForCacheControl": "no response cache: Cache-Control from callers changes nothing",
    "UnauthorizedCacheControlHeaderStrategy": "no response cache: Cache-Control from callers changes nothing",
    "LoggingLevel": "execution logs go to the gateway's access log and stderr",
    "DataTraceEnabled": "execution logs go to the gateway's access log and stderr",
    "MetricsEnabled": "metrics are served on the admin port (/metrics)",
    "DetailedMetricsEnabled": "metrics are served on the admin port (/metrics)",
}


@dataclass
class Settings:
    notes: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # stage logical id -> what was refused
    deployments: set[str] = field(default_factory=set)  # Deployments whose StageDescription was read


def apply(resolver: Resolver, api_ids: Mapping[str, str], apis: dict[str, dict[str, Any]]) -> Settings:
    """Set the throttles in `apis` (the native config's apis:, by name); api_ids: API id -> name."""
    out = Settings()
    for rtype, target_key in ((REST_STAGE, "RestApiId"), (HTTP_STAGE, "ApiId"), (DEPLOYMENT, "RestApiId")):
        for lid, props in of_type(resolver, rtype):
            name = api_ids.get(str(props.get(target_key)))
            if name is None or name not in apis:
                continue
            if rtype == DEPLOYMENT:
                if props.get("StageName") is None or not isinstance(props.get("StageDescription"), Mapping):
                    continue
                out.deployments.add(lid)
                description = props["StageDescription"]
                entries = [(None, description), *_rest_entries(description)]
            else:
                entries = _rest_entries(props) if rtype == REST_STAGE else _http_entries(props)
            for where, settings in entries:
                _apply_one(lid, name, apis[name], where, settings, out)
    return out


def _rest_entries(props: Mapping[str, Any]) -> list[tuple[tuple[str, str] | None, Mapping[str, Any]]]:
    out: list[tuple[tuple[str, str] | None, Mapping[str, Any]]] = []
    for entry in props.get("MethodSettings") or []:
        if not isinstance(entry, Mapping):
            continue
        raw = str(entry.get("ResourcePath", "/*"))  # "/" + the resource path with its own "/" written "~1"
        path = raw.removeprefix("/").replace("~1", "/")
        method = str(entry.get("HttpMethod", "*")).upper()
        out.append((None if (path, method) == ("*", "*") else (method, path), entry))
    return out


def _http_entries(props: Mapping[str, Any]) -> list[tuple[tuple[str, str] | None, Mapping[str, Any]]]:
    out: list[tuple[tuple[str, str] | None, Mapping[str, Any]]] = []
    if isinstance(props.get("DefaultRouteSettings"), Mapping):
        out.append((None, props["DefaultRouteSettings"]))
    for key, settings in (props.get("RouteSettings") or {}).items():
        if isinstance(settings, Mapping):
            method, _, path = str(key).partition(" ")
            out.append(((method.upper(), path or str(key)), settings))
    return out


def _apply_one(lid: str, api_name: str, api: dict[str, Any], where: tuple[str, str] | None,
               settings: Mapping[str, Any], out: Settings) -> None:
    label = "the stage" if where is None else f"{where[0]} {where[1]}"
    for key in sorted(k for k in settings if k in IGNORED):
        out.notes.append(f"stage {lid} ({api_name}): {key} of {label} ignored: {IGNORED[key]}")
    if not any(settings.get(k) is not None for k in THROTTLE_KEYS):
        return
    throttle = _bucket(settings)
    if throttle is None:
        out.refused.setdefault(lid, []).append(f"{label}: a throttle of 0 (every request refused on AWS) is not "
                                               "served; remove it or give a rate and burst above 0")
        return
    if where is None:
        api["throttle"] = throttle
        out.notes.append(f"stage {lid} ({api_name}): the stage's throttle {_text(throttle)} applies to every caller")
        return
    routes = [r for r in api.get("routes", []) if _matches(str(r.get("route", "")), where)]
    if not routes:
        out.refused.setdefault(lid, []).append(f"{label}: no route of API {api_name} matches this method setting")
        return
    for route in routes:
        route["throttle"] = throttle
        out.notes.append(f"stage {lid} ({api_name}): route {route['route']} throttled {_text(throttle)}")


def _bucket(settings: Mapping[str, Any]) -> dict[str, Any] | None:
    rate = settings.get("ThrottlingRateLimit")
    burst = settings.get("ThrottlingBurstLimit")
    rate_f = float(rate if rate is not None else burst or 0)
    burst_i = int(burst) if burst is not None else max(1, int(rate_f))
    if rate_f <= 0 or burst_i <= 0:
        return None
    return {"rate": rate_f, "burst": burst_i, "by": "global"}


def _matches(route: str, where: tuple[str, str]) -> bool:
    method, _, path = route.partition(" ")
    return path == where[1] and (where[0] in ("*", method))


def _text(throttle: Mapping[str, Any]) -> str:
    return f"(rate {throttle['rate']:g}/s, burst {throttle['burst']}, every caller together)"
