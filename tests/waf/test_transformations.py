"""AWS WAF's text transformations: the documented edge cases (corpus/transformations.json) and properties
(never raising on any byte string; idempotent where a second pass has nothing left to do)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatepost.waf.spec import Node, SpecError
from gatepost.waf.transforms import REFUSED, TRANSFORMS, compile_transformations

CORPUS = json.loads((Path(__file__).parent / "corpus" / "transformations.json").read_text())["cases"]
byte_strings = st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
# Characters that the transformations treat specially, so that the generator finds the interesting inputs.
tricky = st.text(alphabet="%+&#;xu0123456789abcdefABCDEF<>/\\.-*\"'^,() \t\n\x00\xa0\xc3\xa9", max_size=60)
IDEMPOTENT = ["NONE", "LOWERCASE", "UPPERCASE", "COMPRESS_WHITE_SPACE", "REMOVE_WHITESPACE", "TRIM", "TRIM_LEFT",
              "TRIM_RIGHT", "NORMALIZE_PATH", "NORMALIZE_PATH_WIN", "REMOVE_NULLS", "REPLACE_NULLS", "CMD_LINE"]


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: f"{c['type']}:{c['in'][:20]!r}")
def test_documented_edge_cases(case: dict[str, str]) -> None:
    got = TRANSFORMS[case["type"]](case["in"])
    if "out_hex" in case:
        assert got.encode("latin-1").hex() == case["out_hex"]
    else:
        assert got == case["out"], case.get("why", "")


def test_every_supported_transformation_has_a_corpus_case() -> None:
    assert {c["type"] for c in CORPUS} == set(TRANSFORMS)


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(byte_strings, tricky))
def test_never_raises_and_stays_a_byte_string(name: str, value: str) -> None:
    out = TRANSFORMS[name](value)
    out.encode("latin-1")  # still one character per byte


@pytest.mark.parametrize("name", IDEMPOTENT)
@settings(max_examples=200, deadline=None)
@given(value=st.one_of(byte_strings, tricky))
def test_idempotent(name: str, value: str) -> None:
    fn = TRANSFORMS[name]
    assert fn(fn(value)) == fn(value)


def test_priority_order_not_list_order() -> None:
    names, fn = compile_transformations(Node([{"Priority": 5, "Type": "LOWERCASE"},
                                              {"Priority": 1, "Type": "URL_DECODE"}], "T"))
    assert names == ("URL_DECODE", "LOWERCASE")
    assert fn("%41B") == "ab"
    _, fn = compile_transformations(Node([{"Priority": 1, "Type": "BASE64_DECODE"},
                                          {"Priority": 0, "Type": "URL_DECODE"}], "T"))
    assert fn("PHNjcmlwdD4%3D") == "<script>"  # URL_DECODE first makes it Base64


def test_refused_and_unknown_types() -> None:
    for name in REFUSED:
        with pytest.raises(SpecError, match="not supported"):
            compile_transformations(Node([{"Priority": 0, "Type": name}], "T"))
    with pytest.raises(SpecError, match="unknown text transformation"):
        compile_transformations(Node([{"Priority": 0, "Type": "ROT13"}], "T"))
