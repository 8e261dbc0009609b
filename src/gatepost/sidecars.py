"""Sidecars: helper processes a config asks the gateway to start first and stop last
(the example's demo upstream, a local OIDC issuer). Each is checked for readiness before serving."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from gatepost.config.models import SidecarConfig


class SidecarError(RuntimeError):
    pass


class Sidecars:
    def __init__(self, configs: list[SidecarConfig], config_dir: Path) -> None:
        self.configs = configs
        self.config_dir = config_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self) -> None:
        for cfg in self.configs:
            if cfg.ready_url and self._answers(cfg.ready_url):
                raise SidecarError(f"sidecar {cfg.name!r}: something else already answers at {cfg.ready_url}; "
                                   "stop it or change the sidecar's port")
            command = [sys.executable if part == "python" else part for part in cfg.command]
            env = {**os.environ, **cfg.env}
            cwd = self.config_dir / cfg.cwd if cfg.cwd else self.config_dir
            proc = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
            self.procs.append((cfg.name, proc))
            if cfg.ready_url:
                self._wait(cfg, proc)

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=0.5):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False

    def _wait(self, cfg: SidecarConfig, proc: subprocess.Popen[bytes]) -> None:
        assert cfg.ready_url is not None
        deadline = time.monotonic() + cfg.ready_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SidecarError(f"sidecar {cfg.name!r} exited with status {proc.returncode} before it was ready")
            try:
                with urllib.request.urlopen(cfg.ready_url, timeout=1) as resp:
                    if resp.status < 500:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise SidecarError(f"sidecar {cfg.name!r} was not ready at {cfg.ready_url} after {cfg.ready_timeout:g}s")

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in reversed(self.procs):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()
