"""The request path's compiled modules (setup.py, gatepost/compiled.py): the suite runs on them when the build
could compile, and a source edited after its build is refused rather than silently ignored."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

import gatepost
from gatepost.compiled import MODULES, stale_build

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")
PACKAGE = Path(gatepost.__file__).resolve().parent
COMPILER = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0])


def _loaded_from(name: str) -> str:
    return str(importlib.import_module(name).__file__)


@pytest.mark.skipif(os.environ.get("GATEPOST_PURE") == "1" or COMPILER is None,
                    reason="a pure-Python build (GATEPOST_PURE=1 or no C compiler): nothing is compiled")
def test_every_listed_module_runs_compiled() -> None:
    """The tests exercise the compiled request path, not the sources beside it."""
    pure = [name for name in MODULES if not _loaded_from(name).endswith(SUFFIX)]
    assert pure == [], f"loaded as Python, not compiled: {pure} (run scripts/setup.sh)"


def test_every_listed_module_exists() -> None:
    for name in MODULES:
        assert PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py").is_file(), name


# Dataclasses of the compiled modules that are built once, from the config (their generated __init__ is fine)
BUILT_ONCE = frozenset({"RouteKey", "ServerLimits", "TrustedIssuer", "CacheStats", "TokenSource", "Credential", "Seeds",
                        "GlobSet", "Clause", "Statement",
                        "PolicyDocument"})


def _dataclasses_of_compiled_modules() -> list[type]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        found += [c for c in vars(module).values()
                  if isinstance(c, type) and c.__module__ == name and dataclasses.is_dataclass(c)]
    return found


def _class_node(cls: type) -> ast.ClassDef:
    source = PACKAGE.joinpath(*cls.__module__.split(".")[1:]).with_suffix(".py")
    return next(n for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.ClassDef)
                and n.name == cls.__name__)


def _declared_defaults(node: ast.ClassDef) -> dict[str, str | None]:
    """Each field's default as written: its value, `field(default=...)`'s, "None" for a default_factory."""
    out: dict[str, str | None] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            value = stmt.value
            if isinstance(value, ast.Call) and ast.unparse(value.func) == "field":
                kw = {k.arg: k.value for k in value.keywords}
                value = ast.Constant(None) if "default_factory" in kw else kw.get("default")
            out[stmt.target.id] = None if value is None else ast.unparse(value)
    return out


def _init_defaults(node: ast.ClassDef) -> dict[str, str | None]:
    init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    args = init.args.args[1:]
    defaults: list[ast.expr | None] = [None] * (len(args) - len(init.args.defaults)) + list(init.args.defaults)
    return {a.arg: None if d is None else ast.unparse(d) for a, d in zip(args, defaults, strict=True)}


def test_dataclasses_built_per_request_have_a_compiled_init() -> None:
    """mypyc compiles a dataclass's own __init__ but not the one `dataclasses` generates (it runs interpreted,
    ~10x dearer: ~300 ns per object). So a dataclass built on the request path writes its __init__, with the
    fields' names, order and defaults (None standing for a default_factory)."""
    classes = [c for c in _dataclasses_of_compiled_modules() if c.__name__ not in BUILT_ONCE]
    assert {c.__name__ for c in classes} >= {"Decision", "Principal", "Exchange", "Response", "Verified", "Jws"}
    for cls in classes:
        init = cls.__dict__.get("__init__")
        assert init is not None, f"{cls.__qualname__}: write its __init__ (or list it in BUILT_ONCE)"
        assert getattr(getattr(init, "__code__", None), "co_filename", "") != "<string>", cls.__qualname__
        node = _class_node(cls)
        declared, written = _declared_defaults(node), _init_defaults(node)
        wanted = [f.name for f in dataclasses.fields(cls) if f.init]
        assert list(written) == wanted, cls.__qualname__
        assert written == {name: declared[name] for name in wanted}, cls.__qualname__


def test_compiled_classes_on_third_party_bases_are_python_classes() -> None:
    """mypyc's build sees no third-party package (pip's build isolation): a class it compiles on such a base
    derives from an unknown type and is broken at run time (attribute lookups fail inside CPython). Those
    classes must be Python classes (`@mypyc_attr(native_class=False)`), their methods still compiled."""
    offenders = []
    for name in MODULES:
        tree = ast.parse(PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py").read_text())
        origin = {alias.asname or alias.name: node.module for node in tree.body
                  if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}
        origin |= {(alias.asname or alias.name).split(".")[0]: alias.name for node in tree.body
                   if isinstance(node, ast.Import) for alias in node.names}
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            python_class = any("native_class=False" in ast.unparse(d) for d in cls.decorator_list)
            for base in cls.bases:
                root = base
                while isinstance(root, ast.Attribute | ast.Subscript):
                    root = root.value
                module = origin.get(root.id, "") if isinstance(root, ast.Name) else ""
                top = module.split(".")[0]
                if top and top != "gatepost" and top not in sys.stdlib_module_names and not python_class:
                    offenders.append(f"{name}.{cls.name} ({ast.unparse(base)} from {module})")
    assert offenders == []


def _fake_package(tmp_path: Path, built_after_source: bool, checkout: bool = True) -> Path:
    """A package directory with two compiled modules: in a checkout (src/gatepost beside pyproject.toml) or
    installed (site-packages/gatepost)."""
    if checkout:
        root = tmp_path / "src" / "gatepost"
        root.mkdir(parents=True)
        (tmp_path / "pyproject.toml").write_text("")
    else:
        root = tmp_path / "lib" / "python3.11" / "site-packages" / "gatepost"
    for name in MODULES[:2]:
        source = root.joinpath(*name.split(".")[1:]).with_suffix(".py")
        source.parent.mkdir(parents=True, exist_ok=True)
        built = source.with_name(source.stem + SUFFIX)
        source.write_text("")
        built.write_bytes(b"")
        now = time.time()
        os.utime(source, (now, now - 10 if built_after_source else now))
        os.utime(built, (now, now if built_after_source else now - 10))
    return root


def test_a_source_edited_after_its_build_is_stale(tmp_path: Path) -> None:
    root = _fake_package(tmp_path, built_after_source=False)
    assert stale_build(root) == [str(root.joinpath(*MODULES[0].split(".")[1:]).with_suffix(".py")),
                                 str(root.joinpath(*MODULES[1].split(".")[1:]).with_suffix(".py"))]


def test_a_fresh_build_and_a_pure_install_are_not_stale(tmp_path: Path) -> None:
    assert stale_build(_fake_package(tmp_path / "fresh", built_after_source=True)) == []
    (tmp_path / "pure" / "src" / "gatepost").mkdir(parents=True)
    (tmp_path / "pure" / "pyproject.toml").write_text("")
    assert stale_build(tmp_path / "pure" / "src" / "gatepost") == []
    assert stale_build() == []  # this checkout, as the suite runs it


def test_an_installed_wheel_is_never_stale(tmp_path: Path) -> None:
    """pip writes a wheel's files with the install's times, a module's .py after its .so as often as not:
    the Docker image's install must start."""
    assert stale_build(_fake_package(tmp_path, built_after_source=False, checkout=False)) == []


@pytest.mark.skipif(not any(PACKAGE.rglob("*" + SUFFIX)), reason="a pure-Python build: nothing to go stale")
def test_gatepost_refuses_to_import_a_stale_build(tmp_path: Path) -> None:
    """A copy of the package whose first compiled module's source is newer than its build: importing it
    fails with the files and the fix, instead of running the old compiled code."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "gatepost", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "pyproject.toml").write_text("")  # a checkout's layout: src/gatepost beside pyproject.toml
    for lib in PACKAGE.parent.glob("gatepost__mypyc*" + SUFFIX):
        shutil.copy2(lib, copy / lib.name)
    source = copy.joinpath("gatepost", *MODULES[0].split(".")[1:]).with_suffix(".py")
    later = time.time() + 60
    os.utime(source, (later, later))
    out = subprocess.run([sys.executable, "-c", "import gatepost"], cwd=copy, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(copy)}, timeout=60)
    assert out.returncode != 0
    assert "changed after their compiled modules were built" in out.stderr
    assert str(source) in out.stderr and "scripts/setup.sh" in out.stderr
