"""The parent's side of a reload across workers (server/reload_control.py), over real pipes: every worker
commits, or every worker aborts (one failed build, or builds of different files). The workers here are
scripted ends of the pipes: a real worker that fails to build only some of the time cannot be arranged;
tests/server/test_reload_workers.py runs the real ones."""

from __future__ import annotations

import os
import threading
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from gatepost.server import config_version
from gatepost.server.reload_control import ParentReloads

CONFIG = 'apis: {shop: {routes: [{route: "GET /open", public: true}], integration: {http: "http://127.0.0.1:9"}}}\n'


@pytest.fixture(autouse=True)
def first_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reload sets the load number restarted workers begin with in the environment: put it back after."""
    monkeypatch.setenv(config_version.LOAD_ENV, "1")


def scripted(end: Connection, answer: dict[str, Any], heard: list[str]) -> threading.Thread:
    """A worker that answers `prepare` with `answer`, then records what the parent says next."""

    def run() -> None:
        msg = end.recv()
        heard.append(msg["op"])
        end.send({"op": "prepared", "load": msg["load"], **answer})
        final = end.recv()
        heard.append(final["op"])
        if final["op"] == "commit":
            end.send({"op": "committed", "load": final["load"], "ok": True})

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def reload_with(tmp_path: Path, answers: list[dict[str, Any]]) -> tuple[Any, list[list[str]], ParentReloads]:
    path = tmp_path / "gatepost.yaml"
    path.write_text(CONFIG)
    parent = ParentReloads(str(path), len(answers))
    pipes = [Pipe(duplex=True) for _ in answers]
    heard: list[list[str]] = [[] for _ in answers]
    threads = [scripted(theirs, answer, heard[i]) for i, ((_, theirs), answer) in enumerate(zip(pipes, answers,
                                                                                                  strict=True))]
    outcome = parent.run([mine for mine, _ in pipes], [])
    for thread in threads:
        thread.join(timeout=30)
    return outcome, heard, parent


def test_every_worker_commits_when_all_built_the_same_files(tmp_path: Path) -> None:
    (tmp_path / "gatepost.yaml").write_text(CONFIG)
    digest = config_version.digest(tmp_path / "gatepost.yaml")
    outcome, heard, parent = reload_with(tmp_path, [{"ok": True, "digest": digest}] * 2)
    assert outcome.ok and outcome.version.load == 2 and outcome.version.digest == digest
    assert heard == [["prepare", "commit"]] * 2
    assert parent.version == outcome.version and os.environ[config_version.LOAD_ENV] == "2"


def test_one_failed_build_makes_every_worker_keep_the_old_version(tmp_path: Path) -> None:
    (tmp_path / "gatepost.yaml").write_text(CONFIG)
    digest = config_version.digest(tmp_path / "gatepost.yaml")
    problem = {"file": "gatepost.yaml", "place": "(load)", "problem": "ImportError: no module auth", "fix": "fix it"}
    outcome, heard, parent = reload_with(tmp_path, [{"ok": True, "digest": digest},
                                                    {"ok": False, "digest": "", "problems": [problem]}])
    assert not outcome.ok and outcome.reason == "build_failed" and outcome.version.load == 1
    assert outcome.problems[0].problem == "ImportError: no module auth"
    assert heard == [["prepare", "abort"]] * 2
    assert parent.version.load == 1 and os.environ[config_version.LOAD_ENV] == "1"  # a restarted worker: version 1


def test_builds_of_different_files_make_every_worker_keep_the_old_version(tmp_path: Path) -> None:
    (tmp_path / "gatepost.yaml").write_text(CONFIG)
    digest = config_version.digest(tmp_path / "gatepost.yaml")
    outcome, heard, _ = reload_with(tmp_path, [{"ok": True, "digest": digest}, {"ok": True, "digest": "0" * 12}])
    assert not outcome.ok and outcome.reason == "workers_disagree"
    assert heard == [["prepare", "abort"]] * 2


def test_a_broken_config_never_reaches_the_workers(tmp_path: Path) -> None:
    path = tmp_path / "gatepost.yaml"
    path.write_text(CONFIG)
    parent = ParentReloads(str(path), 2)
    path.write_text(CONFIG.replace("public: true", "public: maybe"))
    mine, theirs = Pipe(duplex=True)
    outcome = parent.run([mine], [])
    assert not outcome.ok and outcome.reason == "config" and outcome.problems[0].place == "apis.shop.routes[0].public"
    assert not theirs.poll(0)  # nothing was said to the worker
