"""Gatepost's build: the request path's modules compiled to C with mypyc when they can be.

Everything is in pyproject.toml except this: the modules a request runs through (the server's wire path,
the pipeline, the upstream client, the token and signature checks, the usage gate, policy evaluation) are
compiled with mypyc, from the same typed source, when a C compiler and Python's headers are there; without
them, or with GATEPOST_PURE=1, Gatepost installs as pure Python and behaves the same, slower
(docs/performance.md, "Compiled request path").
"""

from __future__ import annotations

import os
import runpy
import shutil
import sys
import sysconfig
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
COMPILED = runpy.run_path(str(ROOT / "src" / "gatepost" / "compiled.py"))["MODULES"]


def _can_compile() -> str | None:
    """Why the modules cannot be compiled here, or None."""
    if os.environ.get("GATEPOST_PURE") == "1":
        return "GATEPOST_PURE=1"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return "no Python headers (python3-dev)"
    return None


def _remove_compiled() -> None:
    """A pure install must not leave an earlier build's compiled modules in the source tree: Python would
    load them instead of the sources."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    src = ROOT / "src"
    for built in [*src.glob("gatepost/**/*" + suffix), *src.glob("gatepost__mypyc*" + suffix)]:
        built.unlink()


def _ext_modules() -> list:
    why_not = _can_compile()
    if why_not is not None:
        print(f"gatepost: installing pure Python ({why_not})", file=sys.stderr)
        _remove_compiled()
        return []
    from mypyc.build import mypycify

    paths = [str(Path("src") / (name.replace(".", "/") + ".py")) for name in COMPILED]
    return mypycify(
        ["--config-file", str(ROOT / "mypyc.ini"), *paths],
        opt_level=os.environ.get("GATEPOST_MYPYC_OPT_LEVEL", "3"),  # 0 builds faster while iterating
        group_name="gatepost",
    )


setup(ext_modules=_ext_modules())
