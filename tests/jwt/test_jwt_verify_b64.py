"""jwt_verify's base64url decoding (binascii directly) against the standard library's urlsafe_b64decode, and
the canonical-signature rule (no other spelling of the same bytes) against urlsafe_b64encode."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.authorizers.jwt_verify import TokenError, _b64

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
