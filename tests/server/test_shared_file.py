"""The workers' shared SQLite files (observe/shared_file.py): a new file opened by two workers at once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from gatepost.observe.integration_counts import read_totals, write_totals


def test_a_new_shared_file_opens_while_another_worker_holds_its_write_lock(tmp_path: Path) -> None:
    """SQLite refuses the switch to WAL at once (the busy timeout not waited) while another connection holds
    the write lock of a file still in rollback mode, as a worker writing a new file's first pages does: the
    setup is tried again until that lock is released, and the totals are written."""
    path = tmp_path / "integration-calls.db"
    other = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE first (x)")
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        write_totals(path, 1, {("shop", "GET /items"): 3})
    finally:
        release.join()
        other.close()
    assert read_totals(path) == {("shop", "GET /items"): 3}

