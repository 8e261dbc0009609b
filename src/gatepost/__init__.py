"""Gatepost: a self-hostable API gateway that enforces AWS API Gateway's authorization model."""

from gatepost.compiled import stale_build as _stale_build

__version__ = "0.1.0"

if _stale := _stale_build():
    raise ImportError(
        "gatepost: these sources changed after their compiled modules were built, which Python would load "
        f"instead: {', '.join(_stale)}. Rebuild with `bash scripts/setup.sh` (or `.venv/bin/pip install -e .`), "
        "or run them as pure Python after `find src -name '*.so' -delete` (docs/performance.md, "
        "\"Compiled request path\")")
