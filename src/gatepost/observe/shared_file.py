"""A SQLite file every worker of one `gatepost serve` run shares (integration counts, metrics): its path and
its connection settings, in one place."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT = 5.0  # seconds a worker waits for another one holding the file
BUSY_RETRY = 0.01  # seconds between two tries at a setup SQLite refused without waiting
NAMES = ("metrics", "integration-calls")  # the shared files of one run (observe/metrics.py, integration_counts.py)


def new_run_id() -> str:
    """A run's id: the serving process's pid and the start time. The pid alone is reused (pid_max is often
    32,768), and a reused one would sum a dead run's leftover rows into this run's counts."""
    return f"{os.getpid()}-{time.time_ns():x}"


@contextlib.contextmanager
def run_files() -> Iterator[str]:
    """The id naming this run's shared files: `$GATEPOST_RUN_ID` when the caller gave one (the caller may
    still read the files after the run: they stay), else a new one whose files are removed when the run ends."""
    given = os.environ.get("GATEPOST_RUN_ID")
    run = given or new_run_id()
    try:
        yield run
    finally:
        if not given:
            remove_run_files(run)


def remove_run_files(run: str) -> None:
    """Delete one run's shared files (at the end of the run: they are only meaningful while it serves)."""
    folder = Path(tempfile.gettempdir()) / "gatepost"
    for name in NAMES:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                (folder / f"{name}-{run}.db{suffix}").unlink()


def run_file(name: str) -> Path:
    """`$TMPDIR/gatepost/{name}-{run}.db`: a file every worker of one `gatepost serve` run shares."""
    run = os.environ.get("GATEPOST_RUN_ID") or str(os.getppid())
    return Path(tempfile.gettempdir()) / "gatepost" / f"{name}-{run}.db"


def connect_shared(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to a workers' shared file (WAL, busy timeout), with `schema` created.

    Workers open a run's new file at the same moments (their first flush, their last one at shutdown). Where
    waiting could deadlock SQLite does not wait out the busy timeout but refuses at once (SQLITE_BUSY: the
    switch to WAL while another worker writes the file's first pages): the setup is tried again, up to the
    same timeout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(schema)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if not busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(BUSY_RETRY)


def busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY, or one of its extended codes (SQLITE_BUSY_RECOVERY, _SNAPSHOT, _TIMEOUT)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
