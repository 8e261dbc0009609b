from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gatepost.command import command_name


def test_bare_name_when_not_run_as_the_gatepost_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/python3 -m gatepost"])
    assert command_name() == "gatepost"


def test_script_path_when_the_venv_is_not_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = tmp_path / ".venv" / "bin" / "gatepost"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir(tmp_path)
    assert command_name() == ".venv/bin/gatepost"
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(script.parent))
    assert command_name() == "gatepost"
