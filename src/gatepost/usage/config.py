"""The `usage_plans:` and `usage:` sections of gatepost.yaml (docs/api-keys-and-usage-plans.md).

Plans are config, the source of truth: name, the API stages they cover, a throttle (token bucket), a
quota (DAY | WEEK | MONTH, with AWS's `offset`) and per-method throttle overrides keyed like AWS
(`/path/GET`). Keys and their attachments to plans live in the catalog (`gatepost keys`, `gatepost plans`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from pydantic import Field, field_validator

from gatepost.config.base import StrictModel

METHOD_KEY_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*"})


class PlanThrottle(StrictModel):
    """A token bucket per API key: `rate` requests per second refill, `burst` bucket size."""

    rate: float = Field(gt=0)
    burst: int = Field(ge=1)


class QuotaConfig(StrictModel):
    """At most `limit` requests per period; `offset` is subtracted from the limit in the initial period."""

    limit: int = Field(ge=0)
    period: Literal["DAY", "WEEK", "MONTH"] = "DAY"
    offset: int = Field(0, ge=0)


class ApiStageConfig(StrictModel):
    api: str = Field(description="the API's name under `apis:`")
    stage: str | None = Field(None, description="default: the stage that API serves")
    throttle: dict[str, PlanThrottle] = Field(
        {}, description='per-method overrides keyed like AWS: "/pets/{id}/GET", "//GET" for the root')

    @field_validator("throttle")
    @classmethod
    def _method_keys(cls, v: dict[str, PlanThrottle]) -> dict[str, PlanThrottle]:
        for key in v:
            split_method_key(key)
        if len(v) > 20:
            raise ValueError("at most 20 per-method throttle settings per API stage (as AWS)")
        return v


class UsagePlanConfig(StrictModel):
    description: str = ""
    api_stages: list[ApiStageConfig] = Field(min_length=1)
    throttle: PlanThrottle | None = None
    quota: QuotaConfig | None = None


class DemoKeyConfig(StrictModel):
    """A key `gatepost serve` creates on first start and prints once (for examples and local runs)."""

    name: str = "demo-partner"
    plan: str
    value: str | None = Field(None, description="import this value instead of generating one (20-128 letters "
                                                "and digits), e.g. to match a demo authorizer's table")


class UsageSettings(StrictModel):
    """How the usage layer behaves (the `usage:` section)."""

    on_counter_failure: Literal["local", "fail_closed"] = Field(
        "local", description="when the shared counters (Redis) are unreachable: count per process, or 503")
    quota_headers: bool = Field(False, description="add RateLimit-Limit/-Remaining/-Reset to keyed responses")
    flush_interval: float = Field(1.0, gt=0, le=60, description="seconds between usage writes to the catalog")
    demo_key: DemoKeyConfig | None = None


def split_method_key(key: str) -> tuple[str, str]:
    """`/pets/{id}/GET` -> ("/pets/{id}", "GET"); `//GET` -> ("/", "GET"). ValueError when malformed."""
    path, sep, method = key.rpartition("/")
    if not sep or not path.startswith("/") or method.upper() not in METHOD_KEY_METHODS or method != method.upper():
        raise ValueError(f"throttle key {key!r}: write it as AWS does, '/path/{{param}}/GET' ('//GET' for the root)")
    return (path if path == "/" else path.rstrip("/") or "/"), method


class ServedStage(Protocol):
    """What the plan check reads of an `apis:` entry (config/models.py's ApiConfig, which imports this module)."""

    @property
    def stage(self) -> str | None: ...

    @property
    def flavour(self) -> str: ...


def check_plan_references(plans: Mapping[str, UsagePlanConfig], apis: Mapping[str, ServedStage],
                          usage: UsageSettings) -> None:
    """Every plan names APIs and stages this config serves; a key's plans are checked by the CLI."""
    for name, plan in plans.items():
        for i, binding in enumerate(plan.api_stages):
            place = f"usage_plans.{name}.api_stages[{i}]"
            api = apis.get(binding.api)
            if api is None:
                declared = ", ".join(sorted(apis))
                raise ValueError(f"{place}: unknown API {binding.api!r}; use one declared under apis: ({declared})")
            stage = api.stage or ("prod" if api.flavour == "rest" else "$default")
            if binding.stage is not None and binding.stage != stage:
                raise ValueError(f"{place}: API {binding.api!r} serves stage {stage!r}, not {binding.stage!r}; "
                                 f"remove `stage:` or write {stage!r}")
        named = [b.api for b in plan.api_stages]
        if len(set(named)) != len(named):
            raise ValueError(f"usage_plans.{name}: an API is listed twice in api_stages; list each once")
    demo = usage.demo_key
    if demo is not None and demo.plan not in plans:
        raise ValueError(f"usage.demo_key.plan: no usage plan {demo.plan!r} under usage_plans:")
