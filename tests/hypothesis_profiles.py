"""Hypothesis budgets: `suite` (default, short: the properties run in every test run), `fuzz` (long: fuzz/,
or `HYPOTHESIS_PROFILE=fuzz pytest ...` to search a property for longer). Loaded once by conftest.py."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_MACHINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("suite", max_examples=60, deadline=None, suppress_health_check=_SLOW_MACHINE,
                          derandomize=False, print_blob=True)
settings.register_profile("fuzz", max_examples=1_000_000, deadline=None, suppress_health_check=_SLOW_MACHINE,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
