"""A corpus of requests per statement type with the expected action and terminating rule (corpus/*.json).
Each file holds a Web ACL in AWS's JSON shape (search strings as text, as in the console's JSON editor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from wafkit import build_acl, evaluate, request

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(p for p in CORPUS.glob("*.json") if p.name != "transformations.json")


def _cases() -> list[Any]:
    out = []
    for path in FILES:
        data = json.loads(path.read_text())
        for case in data["cases"]:
            out.append(pytest.param(path.stem, case, id=f"{path.stem}:{case['name']}"))
    return out


_ACLS: dict[str, Any] = {}


def _acl(stem: str) -> Any:
    if stem not in _ACLS:
        data = json.loads((CORPUS / f"{stem}.json").read_text())
        _ACLS[stem] = build_acl(data["acl"], ip_sets=data.get("ip_sets", []), regex_sets=data.get("regex_sets", []),
                                trusted=data.get("trusted", []))
    return _ACLS[stem]


@pytest.mark.parametrize(("stem", "case"), _cases())
def test_corpus(stem: str, case: dict[str, Any]) -> None:
    verdict = evaluate(_acl(stem), request(case["request"]))
    assert verdict.action.kind == case["expect"]
    if "rule" in case:
        assert verdict.rule == case["rule"]


def test_every_statement_type_has_a_corpus() -> None:
    text = "".join(p.read_text() for p in FILES)
    for statement in ("ByteMatchStatement", "RegexMatchStatement", "RegexPatternSetReferenceStatement",
                      "SizeConstraintStatement", "IPSetReferenceStatement", "AndStatement", "OrStatement",
                      "NotStatement", "LabelMatchStatement", "SqliMatchStatement", "XssMatchStatement", "JsonBody"):
        assert f'"{statement}"' in text, statement
