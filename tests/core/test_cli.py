from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from gatepost.cli import VERBS, main, parser

REPO = Path(__file__).resolve().parents[2]


def all_commands(p: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += all_commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("command", all_commands(parser()), ids=lambda c: " ".join(c) or "gatepost")
def test_every_verb_has_help(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: gatepost")
    assert len(out.splitlines()) >= 3


def test_verbs_are_listed() -> None:
    assert {"serve", "check"} <= set(VERBS)


def test_check_ok_and_failure_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.yaml"
    good.write_text('apis:\n  a:\n    routes: [{route: "GET /x", public: true}]\n    integration: {mock: {}}\n')
    assert main(["check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text('apis:\n  a:\n    routes: [{route: "GET /x"}]\n    integration: {mock: {}}\n')
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:3" in err and "denies by default" in err and "fix:" in err


def test_python_dash_m_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "gatepost", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("gatepost ")


def test_example_config_checks() -> None:
    assert main(["check", str(REPO / "examples/payments/gatepost.yaml")]) == 0
