"""Fixtures of the federation tests (shared pieces in fedkit.py)."""

from __future__ import annotations

import base64

import pytest
from fedkit import MASTER


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("GATEPOST_MASTER_KEY", base64.b64encode(MASTER).decode())
    return MASTER
