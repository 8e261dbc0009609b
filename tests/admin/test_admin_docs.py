"""docs/operations.md lists every admin operation with its action, and the CLI's --admin."""

from __future__ import annotations

from pathlib import Path

from gatepost.admin.registry import OPERATIONS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_operation_is_in_the_endpoint_table() -> None:
    text = DOCS.read_text()
    table = text[text.index("## Admin API"):]
    missing = [op.action for op in OPERATIONS if f"`gatepost:{op.action}`" not in table]
    assert missing == []
    assert "--admin URL" in table
