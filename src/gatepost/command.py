"""How printed commands name the `gatepost` executable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def command_name() -> str:
    """The bare name when `gatepost` on PATH is this script, else the script's path (e.g. `.venv/bin/gatepost`
    when the virtualenv is not activated), so commands Gatepost prints paste as they are."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    on_path = shutil.which("gatepost")
    if script is None or script.name != "gatepost" or (on_path and Path(on_path).resolve() == script):
        return "gatepost"
    try:
        return str(Path(sys.argv[0]).absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(script)
