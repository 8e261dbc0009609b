"""SqliMatchStatement and XssMatchStatement, detected by libinjection (its Python binding, the
`libinjection-python` package). When the binding is not installed the statements are refused by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
    check = lib.is_sql_injection
    return lambda value: bool(check(value)["is_sqli"]) if value else False


def xss_detector() -> Callable[[str], bool] | None:
    lib = _binding()
    if lib is None:
        return None
    check = lib.is_xss
    return lambda value: bool(check(value)["is_xss"]) if value else False
