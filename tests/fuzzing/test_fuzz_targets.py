"""Every fuzz target (fuzz/targets/) on hypothesis's short suite budget: the same `one_input(bytes)` the
long runs drive (`python -m fuzz run TARGET --minutes N`), so a finding there can be kept here as an example."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fuzz.targets import TARGETS, load  # noqa: E402


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_holds_on_generated_input(name: str) -> None:
    target = load(name)

    @given(st.binary(max_size=2048))
    def one(data: bytes) -> None:
        target.one_input(data)

    one()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_holds_on_its_seed_inputs(name: str) -> None:
    """Inputs kept from earlier findings (fuzz/seeds/NAME/), when there are any."""
    target = load(name)
    for path in sorted((ROOT / "fuzz" / "seeds" / name).glob("*")):
        target.one_input(path.read_bytes())
