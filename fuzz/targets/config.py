"""The config loader: YAML text as anyone may write it, and the payments example with one drawn change
(a value replaced by any JSON value, a key dropped or added). The answer is a config or a ConfigError that
locates the problem; any other exception is a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fuzz.draw import Draw
from gatepost.config.load import load_text
from gatepost.errors import ConfigError

EXAMPLE = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/payments/gatepost.yaml").read_text())
SNIPPETS = ["apis:\n  a:\n    routes: []\n", "apis: {a: {routes: [{route: 'GET /x', public: true}]}}\n",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n", "openapi: 3.0.1\npaths: {}\n",
            "swagger: '2.0'\n", "apis: !!python/object:os.system {}\n", "a: &x [*x]\n", "{{{", "${X}"]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*here, i))
    return out


def _mutated(d: Draw) -> str:
    doc = yaml.safe_load(yaml.safe_dump(EXAMPLE))  # a fresh copy
    for _ in range(1 + d.int(3)):
        path = d.choice(_paths(doc)[1:])
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = d.int(4)
        if action == 0 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == 1 and isinstance(parent, dict):
            parent[d.text(10) or "x"] = d.json_value()
        else:
            parent[path[-1]] = d.json_value()
    return yaml.safe_dump(doc)


def one_input(data: bytes) -> None:
    d = Draw(data)
    mode = d.int(4)
    text = d.choice(SNIPPETS) + d.text(200) if mode == 0 else d.text(400) if mode == 1 else _mutated(d)
    try:
        load_text(text, "fuzz.yaml", env={})
    except ConfigError:
        pass
