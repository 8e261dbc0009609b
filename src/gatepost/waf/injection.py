"""SqliMatchStatement and XssMatchStatement, detected by libinjection (its Python binding, the
`libinjection-python` package). When the binding is not installed the statements are refused by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CACHE_MAX = 4096  # verdicts of recent short values (the same popular query strings come back)
CACHE_VALUE_MAX = 512  # bytes: longer values are always inspected


def _binding() -> Any:
    try:
        import libinjection  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return libinjection


def sqli_detector(sensitivity: str) -> Callable[[str], bool] | None:
    """libinjection's SQLi detector (it has one sensitivity: LOW and HIGH both use it, see docs/web-acls.md)."""
    lib = _binding()
    if lib is None:
        return None
    return _cached(lib.is_sql_injection, "is_sqli")


def xss_detector() -> Callable[[str], bool] | None:
    lib = _binding()
    if lib is None:
        return None
    return _cached(lib.is_xss, "is_xss")


def _cached(check: Callable[[str], dict[str, Any]], field: str) -> Callable[[str], bool]:
    """The detector is a pure function of the value: short values' verdicts are kept (bounded)."""
    seen: dict[str, bool] = {}

    def detect(value: str) -> bool:
        if not value:
            return False
        found = seen.get(value)
        if found is not None:
            return found
        verdict = bool(check(value)[field])
        if len(value) <= CACHE_VALUE_MAX:
            if len(seen) >= CACHE_MAX:
                seen.clear()
            seen[value] = verdict
        return verdict

    return detect
