"""`tracing:` compiled: off when absent or `enabled: false`; `exporter: otlp` without the SDK is a located error
with its fix, not a crash at the first request."""

from __future__ import annotations

import sys

import pytest
from tkit import HERE, config

from gatepost.bootstrap import build_gateway
from gatepost.errors import ConfigError
from gatepost.gateway import Gateway
from gatepost.stores.memory import MemoryCatalog


def gateway(tracing: str | None) -> Gateway:
    return build_gateway(text=config("http://127.0.0.1:9", tracing=tracing), catalog=MemoryCatalog(),
                         config_dir=HERE)


def test_tracing_is_off_unless_configured() -> None:
    assert gateway(None).tracer is None
    assert gateway("{enabled: false, exporter: otlp}").tracer is None
    tracer = gateway("{sample_ratio: 0.25}").tracer
    assert tracer is not None and tracer.sink is None and tracer.bound == 1 << 62


def test_otlp_without_the_sdk_is_a_config_error_with_its_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gatepost.tracing.otel", None)  # as if opentelemetry-sdk were not installed
    with pytest.raises(ConfigError) as info:
        gateway("{exporter: otlp}")
    text = str(info.value)
    assert "tracing.exporter" in text and "pip install 'gatepost[otel]'" in text


def test_the_traces_url() -> None:
    from gatepost.tracing.config import TracingConfig

    assert TracingConfig().traces_url() == "http://127.0.0.1:4318/v1/traces"
    assert TracingConfig(endpoint="https://otel.example/").traces_url() == "https://otel.example/v1/traces"
    assert TracingConfig(endpoint="https://otel.example/otlp/v1/traces").traces_url() == \
        "https://otel.example/otlp/v1/traces"
