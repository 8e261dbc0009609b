"""Which config a gateway serves: a short hash of its config files' content plus the load number.

The files are the config (or template) itself, its bindings file, and the config and code files under its
folder (.yaml .yml .json .py .js .mjs .cjs; not .gatepost/, __pycache__, node_modules, .git, .venv): the
set `serve --watch` watches, so a change to a handler's code is a new version too. The load number is 1 at
start and grows by one with every reload that took effect; with `--workers N` the parent hands it out, so
every worker names the same version the same way. The label `{load}.{digest}` (e.g. `2.5f0c9a1e3b7d`)
is written in the access log (`config`), /_gatepost/health, the admin port's /healthz and reload answers.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".yaml", ".yml", ".json", ".py", ".js", ".mjs", ".cjs")
SKIPPED = frozenset({".gatepost", "__pycache__", "node_modules", ".git", ".venv"})
MAX_FILES = 5000
HASHED_BYTES = 1 << 20  # a bigger file is known by its size and modification time
LOAD_ENV = "GATEPOST_CONFIG_LOAD"  # the load number a worker (re)started by the parent begins with

Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    digest: str  # 12 hex digits
    load: int

    @property
    def label(self) -> str:
        return f"{self.load}.{self.digest}"

    def as_dict(self) -> dict[str, object]:
        return {"version": self.label, "digest": self.digest, "load": self.load}


def folder_of(config_path: str | Path) -> Path:
    p = Path(config_path).resolve()
    return p if p.is_dir() else p.parent


def snapshot(folder: Path) -> Snapshot:
    """The config and code files under `folder`, by size and modification time."""
    out: Snapshot = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        for name in sorted(files):
            if name.endswith(SUFFIXES):
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out[path] = (st.st_size, st.st_mtime_ns)
                if len(out) >= MAX_FILES:
                    return out
    return out


def digest(config_path: str | Path) -> str:
    """The short content hash of the files a load of `config_path` reads (and the code it may run)."""
    folder = folder_of(config_path)
    paths = set(snapshot(folder))
    main = Path(config_path).resolve()
    if main.is_file():
        paths.add(str(main))
    bindings = os.environ.get("GATEPOST_BINDINGS")
    if bindings and Path(bindings).is_file():
        paths.add(str(Path(bindings).resolve()))
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(os.path.relpath(path, folder).encode("utf-8", "surrogateescape") + b"\x00")
        h.update(_content_hash(Path(path)))
    return h.hexdigest()[:12]


def _content_hash(path: Path) -> bytes:
    try:
        st = path.stat()
        if st.st_size > HASHED_BYTES:
            return f"size={st.st_size} mtime={st.st_mtime_ns}".encode()
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"unreadable"


def first_load() -> int:
    """The load number this process starts with: 1, or what the parent says (a worker it restarted)."""
    try:
        return max(int(os.environ.get(LOAD_ENV, "1")), 1)
    except ValueError:
        return 1
