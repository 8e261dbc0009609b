"""Shared by the usage tests: a config with keyed routes, and helpers to create and attach keys."""

from __future__ import annotations

from typing import Any

from gatepost.stores.base import Catalog
from gatepost.usage.keys import KeyStore

KEYED_CONFIG = """
state: {{counters: "{counters}"}}
usage: {{on_counter_failure: {policy}, quota_headers: {quota_headers}, flush_interval: 0.2}}
usage_plans:
  gold:
    api_stages:
      - api: shop
        throttle: {{"/limited/GET": {{rate: 1, burst: 2}}}}
    throttle: {{rate: {rate}, burst: {burst}}}
    quota: {{limit: {limit}, period: {period}}}
  silver:
    api_stages: [{{api: other}}]
    throttle: {{rate: 100, burst: 100}}
apis:
  shop:
    routes:
      - {{route: "GET /keyed", public: true, api_key_required: true}}
      - {{route: "GET /limited", public: true, api_key_required: true}}
      - {{route: "GET /open", public: true}}
    integration: {{http: "{upstream}"}}
  other:
    base_path: /other
    routes:
      - {{route: "GET /keyed", public: true, api_key_required: true}}
    integration: {{http: "{upstream}"}}
"""


def keyed_config(upstream: str, *, counters: str = "memory://", policy: str = "local", quota_headers: bool = False,
                 rate: float = 100, burst: int = 100, limit: int = 1000, period: str = "DAY") -> str:
    return KEYED_CONFIG.format(upstream=upstream, counters=counters, policy=policy,
                               quota_headers=str(quota_headers).lower(), rate=rate, burst=burst, limit=limit,
                               period=period)


STAGES = {"gold": {("shop", "prod")}, "silver": {("other", "prod")}}


def new_key(catalog: Catalog, name: str, plan: str | None = "gold", clock: Any = None,
            **attach: Any) -> tuple[str, str]:
    """Create a key (attached to `plan`); returns (key id, value)."""
    store = KeyStore(catalog, clock) if clock is not None else KeyStore(catalog)
    doc, value = store.create(name)
    if plan is not None:
        store.attach(plan, doc["id"], stages=STAGES, **attach)
    return doc["id"], value
