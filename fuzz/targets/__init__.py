"""The targets, by name: each module has `one_input(data: bytes) -> None`."""

from __future__ import annotations

import importlib
from types import ModuleType

TARGETS = {
    "head": "request heads through the native server's protocol (in process, a real gateway behind it)",
    "canonical_path": "the request-path canonicaliser: refused, or canonical (idempotent, no dot segments)",
    "router": "route keys and the route table: the static shortcut answers as the tree walk does",
    "sigv4": "SigV4 Authorization header / presigned query parsing and the canonical request",
    "jwt": "compact JWS parsing, header rules, time claims, claim readers and event renderings",
    "policy": "IAM policy documents: parsing, then evaluation against drawn requests",
    "config": "the config loader: YAML text and mutated valid configs -> a config or located ConfigError",
}


def load(name: str) -> ModuleType:
    if name not in TARGETS:
        raise SystemExit(f"unknown target {name!r}; targets: {', '.join(TARGETS)}")
    return importlib.import_module(f"fuzz.targets.{name}")
