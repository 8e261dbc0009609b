"""jwt_verify's base64url decoding (binascii directly) against the standard library's urlsafe_b64decode, the
canonical-signature rule (no other spelling of the same bytes) against urlsafe_b64encode, and the compact-form
check (`bytes.translate`) against the regex it replaced."""

from __future__ import annotations

import base64
import binascii
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.authorizers.jwt_verify import TokenError, _b64, compact_parts, parse

PART = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=120)


def _stdlib(part: str, canonical: bool) -> bytes | None:
    """The rule as it was written with the standard library's helpers (None: refused)."""
    if len(part) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None
    if canonical and base64.urlsafe_b64encode(raw).rstrip(b"=") != part.encode("ascii"):
        return None
    return raw


def _ours(part: str, canonical: bool) -> bytes | None:
    try:
        return _b64(part, canonical)
    except TokenError:
        return None


@given(PART, st.booleans())
def test_decodes_and_refuses_exactly_as_the_standard_library(part: str, canonical: bool) -> None:
    assert _ours(part, canonical) == _stdlib(part, canonical)


@given(st.binary(max_size=300))
def test_every_canonical_spelling_round_trips(raw: bytes) -> None:
    part = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    if part:
        assert _b64(part, canonical=True) == raw


@pytest.mark.parametrize("part", ["QQ", "QR", "QS", "QT"])  # "A": only QQ has zero unused bits
def test_a_second_spelling_of_a_signature_is_refused(part: str) -> None:
    assert _b64(part) == b"A"
    assert (_ours(part, canonical=True) == b"A") is (part == "QQ")


COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# tokens near the form: base64url characters, dots, and a few others (unicode digits and letters too)
NEAR = st.text(alphabet=st.sampled_from(list("AZaz09-_..=+/ \n\x00é٣\uff21\uff3a")), max_size=12)


def _shape_refused(token: str) -> bool:
    try:
        parse(token)
    except TokenError as exc:
        return exc.code == "malformed" and exc.description == "the token is not a valid JWT"
    return False


@given(NEAR)
def test_the_compact_form_is_accepted_exactly_as_the_regex_accepts_it(token: str) -> None:
    parts = compact_parts(token)
    assert (parts is not None) is (COMPACT.fullmatch(token) is not None)
    if parts is not None:
        assert parts == token.split(".")
    else:
        assert _shape_refused(token)


@given(st.lists(PART, min_size=3, max_size=3))
def test_three_base64url_parts_are_a_compact_form(parts: list[str]) -> None:
    assert compact_parts(".".join(parts)) == parts


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a.b.c\n", "a.b.c ", "a+.b.c",
                                   "a.b/.c", "a.b.c=", "\uff21.b.c", "a.٣.c", "", "..", "a.b.c\x00"])
def test_hostile_shapes_are_refused_before_any_decoding(token: str) -> None:
    assert _shape_refused(token)
