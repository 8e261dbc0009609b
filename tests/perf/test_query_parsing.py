"""The query string's shortcut (nothing to decode: split directly) gives exactly parse_qsl's pairs."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.request import GatewayRequest, parse_query

CASES = ["", "a", "a=", "=b", "a=b", "a=b&c=d", "a=b=c", "&&a=1&&", "a&b&c", "n=1&n=2&n=",
         "X-Amz-Date=20261207T000000Z", "a=%20b", "a+b=c+d", "a=%zz", "%41=%42", "a=b;c=d", "&", "==", "a==b"]


@pytest.mark.parametrize("query", CASES)
def test_same_pairs_as_parse_qsl(query: str) -> None:
    assert parse_query(query) == parse_qsl(query, keep_blank_values=True)


@given(st.text(alphabet="ab=&;+%2F ~.-_", max_size=40))
def test_same_pairs_on_any_string(query: str) -> None:
    assert parse_query(query) == parse_qsl(query, keep_blank_values=True)


def test_the_request_reads_it() -> None:
    req = GatewayRequest(method="GET", path="/", query_string="n=1&flag&n=2&q=a%20b")
    assert req.query == [("n", "1"), ("flag", ""), ("n", "2"), ("q", "a b")]
    assert req.query_values("n") == ["1", "2"] and req.query_param("flag") == ""
