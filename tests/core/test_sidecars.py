from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gatepost.config.models import SidecarConfig
from gatepost.sidecars import SidecarError, Sidecars
from support import Upstream, free_port

SERVER = ("import http.server as h, sys; "
          "h.HTTPServer(('127.0.0.1', int(sys.argv[1])), h.SimpleHTTPRequestHandler).serve_forever()")


def test_sidecar_started_waited_for_and_stopped(tmp_path: Path) -> None:
    port = free_port()
    cars = Sidecars([SidecarConfig(name="s", command=[sys.executable, "-c", SERVER, str(port)],
                                   ready_url=f"http://127.0.0.1:{port}/")], tmp_path)
    cars.start()
    try:
        assert Sidecars._answers(f"http://127.0.0.1:{port}/")
    finally:
        cars.stop()
    assert not Sidecars._answers(f"http://127.0.0.1:{port}/")


def test_refuses_when_something_else_already_answers(tmp_path: Path, upstream: Upstream) -> None:
    cars = Sidecars([SidecarConfig(name="dup", command=[sys.executable, "-c", "pass"],
                                   ready_url=upstream.url + "/health")], tmp_path)
    with pytest.raises(SidecarError, match="already answers"):
        cars.start()


def test_sidecar_that_exits_early_is_reported(tmp_path: Path) -> None:
    port = free_port()
    cars = Sidecars([SidecarConfig(name="dies", command=[sys.executable, "-c", "raise SystemExit(3)"],
                                   ready_url=f"http://127.0.0.1:{port}/", ready_timeout=10)], tmp_path)
    with pytest.raises(SidecarError, match="exited with status 3"):
        cars.start()
    cars.stop()
