"""`tracing:` in gatepost.yaml (docs/operations.md, "Tracing"). Absent: tracing is off and costs nothing.

    tracing:
      exporter: otlp                      # none (default): W3C propagation and the access log's trace_id only
      endpoint: http://127.0.0.1:4318     # OTLP/HTTP (protobuf); /v1/traces is added unless the URL has a path
      sample_ratio: 1.0                   # new traces; a trusted caller's sampled flag is followed
      service_name: gatepost
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from gatepost.config.base import StrictModel


class TracingConfig(StrictModel):
    enabled: bool = True  # the section being there turns tracing on; `enabled: false` keeps it written but off
    exporter: Literal["none", "otlp"] = Field("none", description="otlp: send spans to an OpenTelemetry "
                                                                   "collector (pip install 'gatepost[otel]')")
    endpoint: str = Field("http://127.0.0.1:4318", description="the collector's OTLP/HTTP base URL")
    headers: dict[str, str] = Field({}, description="sent with each export (a collector's API key: use ${ENV})")
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
    service_name: str = Field("gatepost", min_length=1)
    export_timeout_ms: int = Field(10_000, ge=100, le=120_000)
    batch_delay_ms: int = Field(1_000, ge=10, le=60_000)  # how long spans wait in memory before an export
    max_queue: int = Field(2_048, ge=16, le=1_000_000)  # spans held for export; past it new ones are dropped

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("endpoint must be an http(s) URL, e.g. http://127.0.0.1:4318")
        return v

    def traces_url(self) -> str:
        """The OTLP/HTTP traces URL: the endpoint's own path, or `/v1/traces` when it has none."""
        base = self.endpoint.rstrip("/")
        return base if urlsplit(base).path else base + "/v1/traces"
