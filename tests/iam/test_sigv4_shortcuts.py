"""The SigV4 verifier's two per-request shortcuts answer exactly as what they stand in for: the usual
Authorization header split at its commas (against the regex it short-cuts, on hostile spellings too), and a
signature from pre-hashed HMAC pads (against `hmac.digest`, for any key length and any text); and any text in
the Signature field is refused as a mismatch (compare_digest takes ASCII only), never a crash."""

from __future__ import annotations

import hmac
from datetime import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gatepost.clock import ManualClock
from gatepost.errors import GatewayError
from gatepost.request import GatewayRequest
from gatepost.sigv4 import params
from gatepost.sigv4.keys import SigningKey, derive_signing_key
from gatepost.sigv4.signer import sign_headers
from gatepost.sigv4.verifier import Credential, SigV4Verifier

# characters that the regex's [^\s,=] and the shortcut's checks treat differently if either is wrong
HOSTILE = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000\x00\u200b,=;/-_."
VALUE = st.text(alphabet=st.sampled_from(list(HOSTILE) + list("AKIDaz09/;-")), max_size=12)
PLAIN = st.text(alphabet=st.sampled_from(list("AKIDEXAMPLEaz09/;-_.~")), min_size=1, max_size=40)
SEPARATOR = st.sampled_from([",", ", ", ",  ", " ,", ",\t", ""])
START = st.sampled_from(["AWS4-HMAC-SHA256 Credential=", "AWS4-HMAC-SHA256  Credential=",
                         "aws4-hmac-sha256 Credential=", "AWS4-HMAC-SHA256 Credential", ""])


def _regex(header: str) -> tuple[str, str, str] | None:
    found = params._USUAL.fullmatch(header)
    return None if found is None else (found[1], found[2], found[3])


@given(START, VALUE, SEPARATOR, VALUE, SEPARATOR, VALUE)
@example("AWS4-HMAC-SHA256 Credential=", "a\xa0b", ", ", "host", ", ", "ab")
@example("AWS4-HMAC-SHA256 Credential=", "a", ", ", "host", ", ", "ab\u2028")
def test_the_comma_split_agrees_with_the_regex(start: str, credential: str, sep1: str, signed: str, sep2: str,
                                               signature: str) -> None:
    header = f"{start}{credential}{sep1}SignedHeaders={signed}{sep2}Signature={signature}"
    shortcut = params._usual_fields(header)
    assert shortcut is None or shortcut == _regex(header)


@given(st.text(max_size=80))
def test_any_text_the_shortcut_reads_is_what_the_regex_reads(text: str) -> None:
    header = "AWS4-HMAC-SHA256 Credential=" + text
    shortcut = params._usual_fields(header)
    assert shortcut is None or shortcut == _regex(header)


@given(PLAIN, st.sampled_from([",", ", "]), PLAIN, st.sampled_from([",", ", "]), PLAIN)
def test_what_sdks_send_takes_the_shortcut(credential: str, sep1: str, signed: str, sep2: str, signature: str) -> None:
    header = f"AWS4-HMAC-SHA256 Credential={credential}{sep1}SignedHeaders={signed}{sep2}Signature={signature}"
    assert params._usual_fields(header) == (credential, signed, signature) == _regex(header)


@given(st.binary(max_size=130), st.text(max_size=300))
@example(b"", "")
@example(b"k" * 64, "exactly one block of key")
@example(b"k" * 65, "a key longer than a block is hashed first")
def test_pre_hashed_pads_give_hmac_sha256(key: bytes, text: str) -> None:
    assert SigningKey(key).sign(text) == hmac.digest(key, text.encode(), "sha256").hex()


def test_a_signing_key_signs_again_and_again_the_same() -> None:
    key = SigningKey(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam"))
    first = key.sign("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nabc")
    assert key.sign("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nabc") == first
    assert key.sign("another string to sign") != first  # the pads' states were copied, not consumed


def _signed_request(signature: str | None = None) -> GatewayRequest:
    clock = ManualClock()
    headers = sign_headers("GET", "http://api.test/pets", access_key="AKIDTEST", secret_key="s3cret",
                           region="us-east-1", now=clock.now())
    auth = headers["authorization"]
    if signature is not None:
        auth = auth.rsplit("Signature=", 1)[0] + "Signature=" + signature
    pairs = (*((k, v) for k, v in headers.items() if k != "authorization"), ("authorization", auth))
    return GatewayRequest(method="GET", path="/pets", headers=pairs, host="api.test")


def _verifier() -> SigV4Verifier:
    return SigV4Verifier("execute-api", "us-east-1", {"AKIDTEST": Credential("AKIDTEST", "s3cret")}.get,
                         ManualClock())


@given(st.text(min_size=1, max_size=80).filter(lambda s: "," not in s and s.strip() == s))
@example("é" * 64)
@example("G" * 64)
@example("0" * 64)
def test_any_wrong_signature_text_is_a_mismatch_never_a_crash(signature: str) -> None:
    with pytest.raises(GatewayError) as refused:
        _verifier().verify(_signed_request(signature))
    assert refused.value.reason in ("sigv4.mismatch", "sigv4.incomplete")


def test_the_right_signature_verifies() -> None:
    assert _verifier().verify(_signed_request()).credential.access_key == "AKIDTEST"


# digits of other scripts: Arabic-Indic three, fullwidth five (both Nd, as \d), superscript two (not Nd)
DATE_CHARS = st.sampled_from([*"0123456789TZ\n ", "\u0663", "\uff15", "\u00b2", "x"])


@given(st.text(alphabet=DATE_CHARS, min_size=14, max_size=18))
@example("20261208T101010Z")
@example("20261208T101010Z\n")  # the regex's `$` takes a final newline: the slow path keeps that
@example("\u0662\u0660\u0662\u0666\u0661\u0662\u0660\u0668T101010Z")
@example("2026120\u00b2T101010Z")
def test_the_date_shortcut_accepts_only_what_the_regex_accepts(text: str) -> None:
    by_regex = params._AMZ_DATE.match(text) is not None
    assert not params._basic_format(text) or by_regex
    try:
        params.check_date(text)
        accepted = True
    except GatewayError:
        accepted = False
    assert accepted == by_regex


@given(st.builds(lambda d: f"{d:%Y%m%dT%H%M%SZ}", st.datetimes(min_value=datetime(1000, 1, 1))))
def test_what_clients_send_takes_the_date_shortcut(text: str) -> None:
    assert params._basic_format(text)
