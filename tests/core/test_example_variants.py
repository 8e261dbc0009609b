"""gatepost.lambda.yaml is gatepost.yaml with the handlers run as Lambda-proxy functions: nothing else may drift."""

from __future__ import annotations

from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "payments"


def test_lambda_variant_differs_only_by_integration_and_upstream_sidecar() -> None:
    base = yaml.safe_load((EXAMPLE / "gatepost.yaml").read_text())
    variant = yaml.safe_load((EXAMPLE / "gatepost.lambda.yaml").read_text())
    expected = dict(base)
    expected["sidecars"] = [s for s in base.get("sidecars", []) if s["name"] != "payments-upstream"]
    if not expected["sidecars"]:
        del expected["sidecars"]
    expected["apis"] = {name: dict(api) for name, api in base["apis"].items()}
    expected["apis"]["payments"]["integration"] = {"lambda": "handlers:app"}
    assert variant == expected
