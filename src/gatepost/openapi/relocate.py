"""`import -o` into another folder: rewrite the config's relative paths so that it loads from there.

A native config resolves relative paths against its own folder; an imported one was resolved against the
document's. When they differ, every relative path is rewritten to point at the same file from the new
folder: handlers (`module:function` whose module is a file next to the document become
`relative/folder/module:function`), TLS certificate and key, a `sqlite:///` catalog (its master key lives
beside it), sidecars' working folders. Importable modules and absolute paths are left as they are. A
config without `state:` keeps the default catalog, which lives next to the config that uses it.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

_SQLITE = "sqlite:///"


def relocate(config: dict[str, Any], src: Path, dst: Path) -> dict[str, Any]:
    src, dst = src.resolve(), dst.resolve()
    if src == dst:
        return config
    out = copy.deepcopy(config)
    for api in (out.get("apis") or {}).values():
        for authorizer in (api.get("authorizers") or {}).values():
            _handler(authorizer, "function", src, dst)
        for holder in [api, *(api.get("routes") or [])]:
            integration = holder.get("integration")
            if isinstance(integration, dict):
                _handler(integration, "handler", src, dst)
    tls = (out.get("server") or {}).get("tls")
    if isinstance(tls, dict):
        for key in ("cert", "key"):
            if isinstance(tls.get(key), str):
                tls[key] = _path(tls[key], src, dst)
    state = out.get("state")
    if isinstance(state, dict) and str(state.get("catalog", "")).startswith(_SQLITE):
        state["catalog"] = _SQLITE + _path(state["catalog"][len(_SQLITE):], src, dst)
    for sidecar in out.get("sidecars") or []:
        if isinstance(sidecar, dict):
            sidecar["cwd"] = _path(str(sidecar.get("cwd") or "."), src, dst)
    return out


def _path(value: str, src: Path, dst: Path) -> str:
    if Path(value).is_absolute():
        return value
    return Path(os.path.relpath(src / value, dst)).as_posix()


def _handler(holder: dict[str, Any], key: str, src: Path, dst: Path) -> None:
    """`module:attr` whose module is a file next to the document, and `FOLDER/module:attr`, get the folder
    as seen from `dst` (load_handler's FOLDER/ form); an importable module stays as it is."""
    spec = holder.get(key)
    if not isinstance(spec, str) or ":" not in spec:
        return
    module, attr = spec.split(":", 1)
    folder, slash, name = module.rpartition("/")
    if not slash:
        rel = Path(*name.split("."))
        if not ((src / rel).with_suffix(".py").is_file() or (src / rel / "__init__.py").is_file()):
            return
        folder = "."
    holder[key] = f"{_path(folder, src, dst)}/{name}:{attr}"
