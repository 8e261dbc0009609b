"""AWS's SigV4 test suite (34 cases): canonical request, string to sign and signature at function level,
then the whole verifier on the signed request (`.sreq`).

The vectors live next to this file (aws-sigv4-testsuite/, Apache 2.0, see its README.md): a missing or
incomplete copy fails, it never skips."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from gatepost.clock import ManualClock
from gatepost.errors import GatewayError
from gatepost.request import GatewayRequest, decode_path
from gatepost.sigv4 import Credential, SigV4Verifier, canonical_request, string_to_sign
from gatepost.sigv4.canonical import payload_hash
from gatepost.sigv4.keys import SigningKey, derive_signing_key

SUITE = Path(__file__).resolve().parent / "aws-sigv4-testsuite"
EXTENSIONS = ("req", "creq", "sts", "authz", "sreq")
ACCESS_KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNED_AT = 1440938160.0  # 20150830T123600Z


def cases() -> list[Path]:
    return sorted(p.parent / p.stem for p in SUITE.rglob("*.req"))


def read(case: Path, ext: str) -> str:
    return (case.parent / f"{case.name}.{ext}").read_text(encoding="utf-8")


def parse_http(text: str) -> tuple[str, str, str, list[tuple[str, str]], bytes]:
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value))
    return method, path, query, headers, body.encode()


def to_request(case: Path) -> GatewayRequest:
    """The signed request, with the Authorization header of `.authz` (the suite's `.sreq` of
    get-vanilla-with-session-token carries get-vanilla's signature; `.authz` is the right one)."""
    method, path, query, headers, body = parse_http(read(case, "sreq"))
    headers = [(k, v) for k, v in headers if k != "authorization"] + [("authorization", read(case, "authz"))]
    return GatewayRequest(method=method, path=decode_path(path), raw_path=path, query_string=query,
                          headers=tuple(headers), body=body)


def authz_fields(case: Path) -> tuple[tuple[str, ...], str]:
    authz = read(case, "authz")
    signed = re.search(r"SignedHeaders=([^,]+)", authz)
    sig = re.search(r"Signature=([0-9a-f]{64})", authz)
    assert signed and sig
    return tuple(signed.group(1).split(";")), sig.group(1)


def test_suite_is_complete() -> None:
    assert SUITE.is_dir(), f"the AWS SigV4 test suite is missing: {SUITE}"
    assert (SUITE / "LICENSE").is_file() and "Amazon.com" in (SUITE / "NOTICE").read_text()
    found = cases()
    assert len(found) == 34
    missing = [f"{c.name}.{ext}" for c in found for ext in EXTENSIONS if not (c.parent / f"{c.name}.{ext}").is_file()]
    assert missing == []


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_canonical_request_string_to_sign_signature(case: Path) -> None:
    method, path, query, headers, body = parse_http(read(case, "sreq"))
    signed, expected_sig = authz_fields(case)
    creq = canonical_request(method, path, query, headers, signed, payload_hash(body))
    assert creq == read(case, "creq")
    scope = "20150830/us-east-1/service/aws4_request"
    sts = string_to_sign("20150830T123600Z", scope, creq)
    assert sts == read(case, "sts")
    key = derive_signing_key(SECRET, "20150830", "us-east-1", "service")
    assert SigningKey(key).sign(sts) == expected_sig  # the verifier's own HMAC, against AWS's vectors


def _credential(case: Path) -> Credential:
    token = dict(parse_http(read(case, "sreq"))[3]).get("x-amz-security-token")
    token_hash = hashlib.sha256(token.encode()).digest() if token else None
    return Credential(ACCESS_KEY, SECRET, session_token_sha256=token_hash, identity="suite")


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_verifier_accepts_signed_request(case: Path) -> None:
    credential = _credential(case)
    verifier = SigV4Verifier("service", "us-east-1", {ACCESS_KEY: credential}.get, ManualClock(SIGNED_AT))
    caller = verifier.verify(to_request(case))
    assert caller.credential.identity == "suite"


@pytest.mark.parametrize("case", cases()[:6], ids=lambda p: p.name)
def test_verifier_rejects_wrong_secret_and_wrong_service(case: Path) -> None:
    wrong = Credential(ACCESS_KEY, SECRET + "x", session_token_sha256=_credential(case).session_token_sha256)
    verifier = SigV4Verifier("service", "us-east-1", {ACCESS_KEY: wrong}.get, ManualClock(SIGNED_AT))
    with pytest.raises(GatewayError) as info:
        verifier.verify(to_request(case))
    assert info.value.reason == "sigv4.mismatch"
    assert read(case, "creq").split("\n")[0] in str(info.value.message)
    other = SigV4Verifier("execute-api", "us-east-1", {ACCESS_KEY: _credential(case)}.get, ManualClock(SIGNED_AT))
    with pytest.raises(GatewayError) as info:
        other.verify(to_request(case))
    assert info.value.message == "Credential should be scoped to correct service: 'execute-api'. "
