"""`throttle:` of a stage or a route (a leaf: the usage gates and the route protocol name it)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gatepost.config.base import StrictModel


class ThrottleConfig(StrictModel):
    """A token bucket: `rate` requests per second refill, `burst` bucket size."""

    rate: float = Field(gt=0)
    burst: int = Field(ge=1)
    by: Literal["source_ip", "global"] = "source_ip"
