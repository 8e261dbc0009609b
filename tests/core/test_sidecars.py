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


def test_sigterm_during_start_up_stops_the_sidecars(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import time

    port = free_port()
    pid_file = tmp_path / "sidecar.pid"
    slow = ("import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)")
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f"""
state: {{catalog: "memory://"}}
sidecars:
  - name: slow
    command: [python, -c, "{slow}", "{pid_file}"]
    ready_url: http://127.0.0.1:{port}/
    ready_timeout: 60
apis:
  a:
    routes: [{{route: "GET /x", public: true}}]
    integration: {{mock: {{}}}}
""")
    proc = subprocess.Popen([sys.executable, "-m", "gatepost", "serve", str(cfg), "--port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)  # a condition: the sidecar has started and the gateway waits for it
    sidecar = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(sidecar, 0)
        except ProcessLookupError:
            break  # stopped with the gateway, not left behind
        assert time.monotonic() < deadline, "the sidecar outlived the gateway"
        time.sleep(0.05)


def test_a_taken_port_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    import socket
    import subprocess

    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text('state: {catalog: "memory://"}\napis:\n  a:\n    routes: [{route: "GET /x", public: true}]\n'
                   '    integration: {mock: {}}\n')
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "gatepost", "serve", str(cfg), "--port", str(port)],
                             capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr and "serving" not in out.stdout
