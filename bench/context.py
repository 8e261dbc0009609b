"""What scenarios share during one bench run: the temp dir, named loopback ports, helper processes, and
set-up steps that run once however many scenarios need them (one issuer, one Redis, one API key).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import procs


@dataclass
class Context:
    tmp: Path
    config: Path | None = None  # the main gateway's config file, written before any set-up step runs
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _ports: dict[str, int] = field(default_factory=dict)
    _once: dict[str, Any] = field(default_factory=dict)

    def port(self, name: str) -> int:
        """A free loopback port, the same one for every caller of the same name."""
        if name not in self._ports:
            self._ports[name] = procs.free_port()
        return self._ports[name]

    def once(self, name: str, fn: Callable[[], Any]) -> Any:
        if name not in self._once:
            self._once[name] = fn()
        return self._once[name]

    def spawn(self, name: str, cmd: list[str], port: int, core: int = 1,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A helper process (issuer, Redis) pinned to the load generator's core; stopped by `close()`."""
        proc = procs.start([*procs.taskset(core), *cmd], self.tmp, port, env=env, name=name)
        self.helpers.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.helpers):
            procs.stop(proc)
        self.helpers.clear()
