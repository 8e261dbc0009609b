"""A real, throwaway Postgres cluster on a free loopback port, for tests (like support.RedisServer).

initdb and pg_ctl come from /usr/lib/postgresql/*/bin (Debian's `postgresql`, installed by
scripts/setup.sh test). Postgres refuses to run as root: as root the cluster belongs to the `postgres`
user (created by the package) and every command runs through `runuser`; the data directory is a temp
directory that user owns. Durability is off (fsync), which a test cluster does not need.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from support import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    exe = shutil.which(name)
    if exe is None:
        raise RuntimeError(f"{name} is not installed (scripts/setup.sh test installs Debian's postgresql)")
    return exe


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class PostgresServer:
    port: int
    datadir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gatepost-pg-")))
    _databases: int = 0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.datadir, "postgres", "postgres")
        self.datadir.chmod(0o700)
        self._run([_bin("initdb"), "-D", str(self.datadir / "data"), "-U", "postgres", "--auth=trust",
                   "--no-sync", "-E", "UTF8", "--locale=C"])

    def start(self) -> None:
        opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.datadir}' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run([_bin("pg_ctl"), "-D", str(self.datadir / "data"), "-l", str(self.datadir / "log"),
                   "-o", opts, "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([_bin("pg_ctl"), "-D", str(self.datadir / "data"), "-m", mode, "-w", "-t", "60", "stop"],
                  check=False)

    def create_database(self) -> str:
        """A new, empty database: each test gets its own, so migrations run from scratch."""
        import psycopg

        self._databases += 1
        name = f"t{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def _run(self, cmd: list[str], check: bool = True) -> None:
        done = subprocess.run(_as_owner(cmd), capture_output=True, text=True, cwd=self.datadir, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:1])} failed: {done.stderr.strip() or done.stdout.strip()}")

    def remove(self) -> None:
        shutil.rmtree(self.datadir, ignore_errors=True)


@contextlib.contextmanager
def run_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        server.remove()


def wait_until(predicate: object, timeout: float = 10.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False
