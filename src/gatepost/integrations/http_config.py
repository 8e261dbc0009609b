"""The http integration's configuration (a pydantic model: kept out of http_proxy.py, which is compiled)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gatepost.config.base import StrictModel


class HttpIntegrationConfig(StrictModel):
    type: Literal["http"]
    url: str = Field(description="upstream base URL; {param} and {proxy} are replaced by path parameters")
    timeout_ms: int = Field(29_000, ge=50, le=300_000)
    pass_host: bool = False  # send the client's Host instead of the upstream's
