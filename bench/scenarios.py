"""Benchmark scenarios: one route kind each, all served by one gateway config in the same run.

A scenario names the route it adds to the bench API (and any authorizer it needs), the headers every
request carries, and optionally a setup step (credentials, keys) run against the gateway's config dir.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Scenario:
    name: str
    path: str
    method: str = "GET"
    routes: str = ""  # YAML list items added under apis.bench.routes
    authorizers: str = ""  # YAML mapping items added under apis.bench.authorizers
    top_level: str = ""  # YAML added at the top level (usage_plans, ...)
    headers: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path, Scenario], None] | None = None  # may fill headers / lua after the catalog exists
    lua: str | None = None  # a wrk script for per-request variation (fresh tokens, signatures)
    note: str = ""
    compare: bool = False  # also measured on the other engines and worker counts (bench/run.py --engines/--workers)


def public() -> Scenario:
    return Scenario("gatepost public route", "/public", routes='- {route: "GET /public", public: true}',
                    note="no authorizer: routing, propagation, proxying", compare=True)


def mock() -> Scenario:
    return Scenario("gatepost mock route (no upstream)", "/mock",
                    routes='- {route: "GET /mock", public: true, integration: {mock: {status: 200, body: ok}}}',
                    note="server + pipeline only: what proxying adds is the row above minus this one",
                    compare=True)


# Authorizer rows join here as their kinds land (issue 10 item 2): an RS256 JWT route with a repeated token
# and with fresh tokens (a wrk lua script), SigV4 (per-request signatures), API key + usage plan (memory),
# a cached Lambda TOKEN authorizer. Each returns a Scenario with its `authorizers`, `headers`/`lua`, `setup`.
SCENARIOS: list[Callable[[], Scenario]] = [
    public,
    mock,
]
