"""Custom domain names -> where each API answers on the gateway, as on AWS.

`AWS::ApiGateway::DomainName` + `BasePathMapping` (`DomainName`, `RestApiId`, `BasePath`, `Stage`) and
`AWS::ApiGatewayV2::DomainName` + `ApiMapping` (`DomainName`, `ApiId`, `ApiMappingKey`, `Stage`): the API
answers under its base path (`BasePath: v1` -> `/v1/...`; none or `(none)` -> `/`), as
`https://DOMAIN/v1/...` does on AWS. One domain name in the template: the gateway serves it on every Host
(it is called as 127.0.0.1:PORT locally). Several: each API is bound to its domain names too, chosen by the
request's Host header (`curl -H 'Host: api.example.com' ...`), as AWS chooses by the name called.

Refused, by name and with the reason (the API keeps its default place): a mapping to an API or stage the
gateway does not serve, and an API mapped at several base paths (one base path per API is served here).
Certificates, endpoint types, TLS policies and DNS records do not bear on who may call what: ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.templates.intrinsics import Resolver, of_type

DOMAIN_TYPES = ("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName")
MAPPINGS = {"AWS::ApiGateway::BasePathMapping": ("RestApiId", "BasePath"),
            "AWS::ApiGatewayV2::ApiMapping": ("ApiId", "ApiMappingKey")}


@dataclass
class Mounts:
    places: dict[str, dict[str, Any]] = field(default_factory=dict)  # API name -> {base_path, hosts}
    fates: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (served|refused, detail)


@dataclass(frozen=True)
class _Mapping:
    logical_id: str
    api: str
    domain: str
    base_path: str


def collect(resolver: Resolver, api_ids: Mapping[str, str], stages: Mapping[str, str | None]) -> Mounts:
    """api_ids: API id -> served API name; stages: API name -> the stage it serves."""
    out = Mounts()
    domains = {lid: str(p.get("DomainName") or lid) for rtype in DOMAIN_TYPES for lid, p in of_type(resolver, rtype)}
    mappings: list[_Mapping] = []
    for rtype, (api_key, path_key) in MAPPINGS.items():
        for lid, props in of_type(resolver, rtype):
            found = _mapping(lid, props, api_key, path_key, api_ids, stages, out)
            if found is not None:
                mappings.append(found)
    several = len({m.domain for m in mappings}) > 1
    by_api: dict[str, list[_Mapping]] = {}
    for m in mappings:
        by_api.setdefault(m.api, []).append(m)
    for api, mine in by_api.items():
        paths = sorted({m.base_path for m in mine})
        if len(paths) > 1:
            for m in mine:
                out.fates[m.logical_id] = ("refused", f"API {api} is mapped at several base paths ({', '.join(paths)});"
                                                      " one base path per API is served here: keep one mapping")
            continue
        hosts = sorted({m.domain for m in mine}) if several else []
        out.places[api] = {"base_path": paths[0], "hosts": hosts}
        on = f" on Host {', '.join(hosts)}" if hosts else " on every Host (one domain name in the template)"
        for m in mine:
            out.fates[m.logical_id] = ("served", f"API {api} answers under {paths[0]}{on}")
    for lid, name in domains.items():
        apis = sorted({m.api for m in mappings if m.domain == name and m.api in out.places})
        out.fates[lid] = ("served", f"domain name {name}: API(s) {', '.join(apis)}" + (
            " chosen by the Host header" if several else " served on every Host (the only domain name)")) \
            if apis else ("ignored", f"domain name {name}: no API of this template is mapped to it")
    return out


def _mapping(lid: str, props: Mapping[str, Any], api_key: str, path_key: str, api_ids: Mapping[str, str],
             stages: Mapping[str, str | None], out: Mounts) -> _Mapping | None:
    api = api_ids.get(str(props.get(api_key)))
    if api is None:
        out.fates[lid] = ("refused", f"maps API {props.get(api_key)!r}, which this template does not serve")
        return None
    stage = props.get("Stage")
    if stage is not None and stages.get(api) is not None and str(stage) != stages[api]:
        out.fates[lid] = ("refused", f"maps stage {stage} of API {api}; the gateway serves its stage {stages[api]}")
        return None
    raw = str(props.get(path_key) or "").strip("/")
    base_path = "/" if raw in ("", "(none)") else "/" + raw
    return _Mapping(lid, api, str(props.get("DomainName") or ""), base_path)
