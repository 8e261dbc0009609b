"""Duplicate mapping keys in a YAML document: every one of them, at any depth, with both lines.

YAML says keys are unique, but PyYAML (like most loaders) silently keeps the last value: a route that
says `groups: [admins]` and later `groups: []` would lose its admin restriction without a word. So
every document the gateway reads (gatepost.yaml, OpenAPI exports, bindings files) is checked here,
through `config/located.py`, before anything is built from it.

Why PyYAML with this check rather than ruamel.yaml (which refuses duplicates itself): ruamel reads
YAML 1.2, where `yes`/`no`/`on`/`off`, `0755` and `1:30` mean something else than in the YAML 1.1 that
PyYAML reads and that existing configs were written against; switching parsers would change what
configs mean, which is the very thing this check exists to prevent. PyYAML is already a dependency,
and the check runs on the node tree that `Located` composes anyway for line numbers, so it costs
one walk and knows both places exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

_MERGE = "tag:yaml.org,2002:merge"  # `<<: *anchor`: merged keys may be overridden, as YAML intends


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    loc: tuple[str | int, ...]  # the mapping that holds the key
    key: Any
    first_line: int
    line: int


def duplicate_keys(root: yaml.Node) -> list[DuplicateKey]:
    """Every repeated key in every mapping, compared as the loader compares them (`1` and `1.0` clash)."""
    constructor = SafeConstructor()
    found: list[DuplicateKey] = []
    seen_nodes: set[int] = set()  # an anchored node reached again through an alias is checked once
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, i)) for i, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, value in node.value:
                stack.append((value, (*loc, str(key_node.value))))
                if key_node.tag == _MERGE:
                    continue
                key = _key(constructor, key_node)
                line = key_node.start_mark.line + 1
                if key in first:
                    found.append(DuplicateKey(loc, key, first[key], line))
                else:
                    first[key] = line
    return sorted(found, key=lambda d: d.line)


def _key(constructor: SafeConstructor, node: yaml.Node) -> Any:
    try:
        key = constructor.construct_object(node, deep=True)
        hash(key)
        return key
    except (yaml.YAMLError, TypeError):  # an unhashable or odd key: the loader reports it itself
        return (node.tag, id(node))
