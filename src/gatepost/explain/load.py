"""Load and compile a config (native or an AWS OpenAPI export) for the static tools, with memory stores."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_file
from gatepost.config.models import GatewayConfig
from gatepost.errors import ConfigError
from gatepost.gateway import Api, Gateway, Route, RouteMatch, method_arn
from gatepost.services import Services

SAMPLE_VALUE = "gatepost-probe"
SAMPLE_GREEDY = "gatepost-probe/sample"


@dataclass
class Loaded:
    config: GatewayConfig
    gateway: Gateway
    path: Path

    def authorizer_config(self, api: Api, name: str) -> Any:
        return self.config.apis[api.name].authorizers.get(name)


def load(path: str | Path, bindings: str | Path | None = None) -> Loaded:
    config, doc = load_file(path, bindings=bindings)
    gateway = compile_gateway(config, doc, Services(), Path(path).resolve().parent)
    return Loaded(config, gateway, Path(path))


def load_or_exit(path: str, bindings: str | None = None) -> Loaded:
    try:
        return load(path, bindings)
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {path}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        raise SystemExit(2) from None


def sample_path(route: Route) -> str:
    """The route's path with sample values in its parameters (`$default` -> a sample path)."""
    if route.key.path == "$default":
        return f"/{SAMPLE_VALUE}"
    parts = []
    for seg in route.key.path.split("/"):
        if seg.endswith("+}"):
            parts.append(SAMPLE_GREEDY)
        elif seg.startswith("{"):
            parts.append(SAMPLE_VALUE)
        else:
            parts.append(seg)
    return "/".join(parts) or "/"


def sample_method(route: Route) -> str:
    return "GET" if route.key.method == "ANY" else route.key.method


def sample_match(api: Api, route: Route) -> RouteMatch:
    path = sample_path(route)
    found = api.table.match(sample_method(route), path)
    params = found.path_params if found is not None else {}
    method = sample_method(route)
    return RouteMatch(api, route, method, params, path, path, method_arn(api, method, path))
