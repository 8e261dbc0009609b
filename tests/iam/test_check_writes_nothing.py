"""`gatepost check` reads a config; it writes no file (no master key, no catalog) beside it."""

from __future__ import annotations

import shutil
from pathlib import Path

from gatepost.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "payments"


def test_check_leaves_the_folder_untouched(tmp_path: Path) -> None:
    for f in EXAMPLE.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["check", str(tmp_path / "gatepost.yaml")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
