"""Where a Python Lambda handler comes from: `module:attr`, a file next to the config or any importable module.

A file next to the config is loaded as a private module, fresh for every build (two configs may each
have an `auth.py`), with the config's folder on `sys.path` while it imports (its sibling imports
resolve next to it). Errors: `ValueError` for a malformed spec or a missing/non-callable attribute,
`ImportError` for a module that is nowhere, `ModuleInitError` (an ImportError) for a module that
was found but raised while importing (Lambda's init error), with the failure for the log.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gatepost.lambda_runtime import HandlerFailed

_LOADS = itertools.count(1)


def load_handler(spec: str, config_dir: Path) -> Callable[..., Any]:
    """`module:attr` (attr may be dotted), the module a file under `config_dir` or importable.

    `FOLDER/module:attr` loads `module` from FOLDER (relative to the config), which is its code root as
    Lambda's /var/task is: on sys.path while the module loads, so its sibling imports resolve there.
    """
    module_name, folder, attr = _parse(spec)
    module = _load_module(module_name, config_dir / folder if folder is not None else config_dir,
                          importable=folder is None)
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ValueError(f"function {spec!r}: {module_name} has no attribute {attr!r}")
    if not callable(target):
        raise ValueError(f"function {spec!r}: {attr!r} is not callable")
    return target


def _parse(spec: str) -> tuple[str, str | None, str]:
    """(module, FOLDER or None, attr)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"function {spec!r}: write it as module:function, e.g. partners_auth:handler")
    folder, slash, module_name = module_name.rpartition("/")
    if slash and (not folder or not module_name):
        raise ValueError(f"function {spec!r}: write it as FOLDER/module:function, e.g. src/app:handler")
    return module_name, (folder if slash else None), attr


class ModuleInitError(ImportError):
    """The handler's module was found but raised while importing (Lambda's init error)."""

    def __init__(self, text: str, failure: HandlerFailed) -> None:
        super().__init__(text)
        self.failure = failure


def _load_module(module_name: str, config_dir: Path, importable: bool = True) -> Any:
    rel = Path(*module_name.split("."))
    for candidate in (config_dir / rel.with_suffix(".py"), config_dir / rel / "__init__.py"):
        if candidate.is_file():
            try:
                return _load_file(module_name, candidate, config_dir)
            except (Exception, SystemExit) as exc:
                raise ModuleInitError(f"function module {candidate}: failed to load: {type(exc).__name__}: {exc}",
                                      HandlerFailed.from_exception(exc, init=True)) from None
    if not importable:
        raise ImportError(f"function module {module_name!r}: no {rel.with_suffix('.py')} in {config_dir}")
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not module_name.startswith(exc.name):  # the module is there, its import is not
            raise ModuleInitError(f"function module {module_name!r}: failed to load: {type(exc).__name__}: {exc}",
                                  HandlerFailed.from_exception(exc, init=True)) from None
        raise ImportError(f"function module {module_name!r}: not found next to the config ({config_dir}) "
                          f"nor importable ({exc})") from None
    except (Exception, SystemExit) as exc:
        raise ModuleInitError(f"function module {module_name!r}: failed to load: {type(exc).__name__}: {exc}",
                              HandlerFailed.from_exception(exc, init=True)) from None


def locate_module(spec: str, config_dir: Path) -> None:
    """Check that `module:attr` names a module that exists, without importing it (processes isolation)."""
    module_name, folder, _ = _parse(spec)
    root = config_dir / folder if folder is not None else config_dir
    rel = Path(*module_name.split("."))
    if (root / rel.with_suffix(".py")).is_file() or (root / rel / "__init__.py").is_file():
        return
    if folder is not None:
        raise ImportError(f"function module {module_name!r}: no {rel.with_suffix('.py')} in {root}")
    try:
        found = importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ImportError(f"function module {module_name!r}: not found next to the config ({config_dir}) "
                          "nor importable")


def _load_file(module_name: str, path: Path, config_dir: Path) -> Any:
    """Load a file as a private module, fresh for every build (two configs may each have an `auth.py`)."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    unique = f"gatepost_user_{digest}_{next(_LOADS)}_{module_name.replace('.', '_')}"
    package = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(unique, path, submodule_search_locations=package)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    with _on_path(config_dir):  # its own sibling imports resolve next to it
        sys.modules[unique] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
    return module


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    entry = str(folder.resolve())
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            sys.path.remove(entry)


def init_handler(spec: str, config_dir: Path) -> Callable[..., Any]:
    """Import the handler's module at run time; any failure is HandlerFailed(init=True) (Lambda's init error)."""
    try:
        return load_handler(spec, config_dir)
    except ModuleInitError as exc:
        raise exc.failure from None
    except (ValueError, ImportError) as exc:  # e.g. the module changed on disk since the config was compiled
        raise HandlerFailed.from_exception(exc, init=True) from None
