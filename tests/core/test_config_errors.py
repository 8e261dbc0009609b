"""Golden files: a bad config in, located errors out (file:line, place, problem, fix)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_file, load_text
from gatepost.errors import ConfigError
from gatepost.services import Services

HERE = Path(__file__).parent / "config_errors"
CASES = sorted(p.stem for p in HERE.glob("*.yaml"))


def errors_for(name: str) -> str:
    path = HERE / f"{name}.yaml"
    with pytest.raises(ConfigError) as info:
        config, doc = load_file(path)
        compile_gateway(config, doc, Services(), HERE)
    return str(info.value).replace(str(HERE) + os.sep, "") + "\n"


@pytest.mark.parametrize("name", CASES)
def test_config_errors_golden(name: str) -> None:
    got = errors_for(name)
    golden = HERE / f"{name}.errors"
    if os.environ.get("GATEPOST_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert golden.exists(), f"no {golden.name}: write it with GATEPOST_UPDATE_GOLDEN=1 and read it"
    assert got == golden.read_text()


def test_every_error_names_file_and_line() -> None:
    for name in CASES:
        first = errors_for(name).splitlines()[0]
        assert first.startswith(f"{name}.yaml:"), first


def test_every_refused_setting_says_what_is_expected_with_an_example() -> None:
    """Each problem comes with a fix, and the fix shows one example to copy (an unknown key may list the
    allowed keys instead, when none is close enough to suggest)."""
    for name in CASES:
        issues = errors_for(name).split("\n" + name + ".yaml:")
        for issue in issues:
            assert "\n    fix: " in issue, issue
            fix = issue.split("\n    fix: ", 1)[1]
            assert "e.g. " in fix or "allowed here: " in fix, issue


def test_a_lone_unknown_top_level_key_reports_the_missing_apis_too() -> None:
    """Found by the config fuzz target: one unknown key with no value, and nothing else (it once raised
    IndexError while naming the missing key)."""
    with pytest.raises(ConfigError) as err:
        load_text("foo:\n", "f.yaml", env={})
    text = str(err.value)
    assert "required key 'apis' is missing" in text and "unknown key 'foo'" in text
