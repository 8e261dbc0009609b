from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gatepost.clock import ManualClock
from support import Upstream, run_upstream


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with run_upstream() as up:
        yield up


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
