"""`gatepost explain` fits a 120-column terminal by default; `--wide` prints every column uncut."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatepost.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "payments" / "gatepost.yaml"


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    assert main(["explain", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_example_fits_120_columns_with_every_route_whole(capsys: pytest.CaptureFixture[str]) -> None:
    lines = explain(capsys, str(EXAMPLE))
    assert max(len(line) for line in lines) <= 120
    header = next(line for line in lines if "ROUTE" in line)
    assert header.split() == ["ROUTE", "AUTHORIZER", "KIND", "REQUIRES", "API", "KEY", "RESOURCE", "POLICY"]
    for route, who in [("GET /me ", "mobile"), ("POST /partners/{id}/transactions", "partners"),
                       ("POST /internal/refresh", "internal"), ("GET /health", "PUBLIC")]:
        row = next(line for line in lines if line.strip().startswith(route))
        assert who in row.split()
    assert lines[-1].startswith("(--wide: every column")


def test_wide_prints_every_column_uncut(capsys: pytest.CaptureFixture[str]) -> None:
    lines = explain(capsys, str(EXAMPLE), "--wide")
    header = next(line for line in lines if "ROUTE" in line)
    for title in ("IDENTITY SOURCE", "IDP OWNER", "HOT-PATH COST", "COUPLING", "PROPAGATES", "USAGE PLAN"):
        assert title in header
    assert max(len(line) for line in lines) > 120
    assert not any("…" in line for line in lines)
    assert any("scopes: profile.read; groups: admins" in line for line in lines)


def test_long_cells_are_cut_to_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gatepost.yaml"
    scopes = ", ".join(f"orders.scope{i}" for i in range(12))
    config.write_text(
        "apis:\n  shop:\n    authorizers:\n"
        "      staff: {type: jwt, issuer: 'https://auth.example.com/', audiences: [shop]}\n"
        "    routes:\n"
        f"      - {{route: 'GET /orders/{{orderId}}/lines/{{lineId}}', authorizer: staff, scopes: [{scopes}]}}\n"
        "    integration: {mock: {}}\n")
    lines = explain(capsys, str(config))
    assert max(len(line) for line in lines) <= 120
    row = next(line for line in lines if "GET /orders" in line)
    assert "GET /orders/{orderId}/lines/{lineId}" in row and "staff" in row and "…" in row
