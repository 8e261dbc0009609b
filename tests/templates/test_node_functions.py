"""Node.js functions of a template run unchanged with `node` (no Docker): an async ES-module handler and a
CommonJS callback-style REQUEST authorizer, each with its own Environment."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from template_kit import copy_fixture, serve_template

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (setup.sh installs it)")


def test_node_handler_and_authorizer(tmp_path: Path) -> None:
    template = copy_fixture("sam_node", tmp_path)
    with serve_template(template) as gw:
        assert gw.get("/hello").status_code == 401  # identity source missing: no call
        assert gw.get("/hello", headers={"x-team-token": "wrong"}).status_code == 403  # the authorizer's Deny
        hello = gw.get("/hello", headers={"x-team-token": "team-secret-1"})
        assert hello.status_code == 200, hello.text
        assert hello.json() == {"runtime": "node", "stage": "prod", "function": "App", "team": "platform",
                                "remaining": True}
        boom = gw.get("/boom", headers={"x-team-token": "team-secret-1"})
        assert boom.status_code == 502 and "boom" not in boom.text  # the handler's error text stays inside


def test_changed_node_code_gets_a_new_process(tmp_path: Path) -> None:
    from gatepost.templates import node_functions

    root = tmp_path / "fn"
    root.mkdir()
    (root / "index.js").write_text("exports.handler = async () => 1;\n")
    spec = node_functions.NodeSpec(str(root), "index.handler", "F")
    first = node_functions.register(spec)
    assert node_functions.register(spec) == first  # unchanged code: the same process serves
    fn = getattr(node_functions, first.split(":")[1])
    assert fn({}, None) == 1
    (root / "index.js").write_text("exports.handler = async () => 2;\n")
    os.utime(root / "index.js", ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    second = node_functions.register(spec)
    assert second != first and getattr(node_functions, second.split(":")[1])({}, None) == 2
