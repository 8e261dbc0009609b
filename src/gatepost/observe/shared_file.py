"""A SQLite file every worker of one `gatepost serve` run shares (integration counts, metrics): its path and
its connection settings, in one place."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path


def run_file(name: str) -> Path:
    """`$TMPDIR/gatepost/{name}-{run}.db`: a file every worker of one `gatepost serve` run shares."""
    run = os.environ.get("GATEPOST_RUN_ID") or str(os.getppid())
    return Path(tempfile.gettempdir()) / "gatepost" / f"{name}-{run}.db"


def connect_shared(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to a workers' shared file (WAL, busy timeout), with `schema` created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute(schema)
    return conn
