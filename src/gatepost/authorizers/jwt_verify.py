"""Compact JWS (RFC 7515) parsing, signature and time-claim checks for JWTs (RFC 7519), on `cryptography`.

Hand-written because it is measured faster than joserfc and PyJWT for the same checks (see
docs/jwt-and-user-pools.md, "Cost"); keys come from jwks.py (imported once per kid with joserfc).
Everything here is pure: no I/O, no clock of its own (`now` is passed in). A failure raises TokenError
with a stable code (`expired`, `bad_signature`...) and a description safe to show the client: neither
ever contains the token or any part of it.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# The compact form is three non-empty base64url parts joined by two dots. Checked by deleting the alphabet
# from the token's bytes (`bytes.translate`: one C loop) and expecting the two dots alone to remain: the same
# set of tokens as the regex `[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){2}`, in a tenth of its time on a 600-byte token
# (tests/jwt/test_jwt_verify_b64.py checks the two agree).
_BASE64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")  # base64url -> base64 (a bytes table: str.translate is slow)

# Header parameters that name a key or where to fetch one. Following them lets the token choose the key
# that verifies it; Gatepost never does, and refuses tokens that carry them (RFC 8725 section 3.10).
KEY_BEARING_HEADERS: tuple[str, ...] = ("jku", "jwk", "x5u", "x5c")

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
ALL_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                            "EdDSA"})


class TokenError(Exception):
    """A token that must be refused: `code` for the log, `description` for www-authenticate."""

    __slots__ = ("code", "description")

    def __init__(self, code: str, description: str) -> None:
        super().__init__(code)
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Jws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, header: dict[str, Any], claims: dict[str, Any], signing_input: bytes,
                 signature: bytes) -> None:
        object.__setattr__(self, "header", header)
        object.__setattr__(self, "claims", claims)
        object.__setattr__(self, "signing_input", signing_input)
        object.__setattr__(self, "signature", signature)


def _b64(part: str, canonical: bool = False) -> bytes:
    """base64url without padding (`parse` already refused any other character).

    `canonical` also refuses non-zero unused trailing bits. Only the signature needs it: header and payload
    are signed as written, so another spelling of them fails the signature anyway, while another spelling
    of the signature would verify and give one token two cache keys.
    """
    if len(part) % 4 == 1:
        raise TokenError("malformed", "the token is not a valid JWT")
    # binascii directly: base64.urlsafe_b64decode is three Python calls and a translation around the same
    # decoder (the same bytes, tested against it in tests/jwt/test_jwt_verify_b64.py)
    std = part.encode("ascii").translate(_TO_STANDARD)
    try:
        raw = binascii.a2b_base64(std + b"=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("malformed", "the token is not a valid JWT") from None
    if canonical and binascii.b2a_base64(raw, newline=False).rstrip(b"=") != std:
        raise TokenError("malformed", "the token is not a valid JWT")
    return raw


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise TokenError("malformed", "the token is not a valid JWT") from None
    if not isinstance(value, dict):
        raise TokenError("malformed", "the token is not a valid JWT")
    return value


def compact_parts(token: str) -> list[str] | None:
    """The three parts of a compact JWS (non-empty, base64url characters only), or None."""
    if not token.isascii() or token.encode("ascii").translate(None, _BASE64URL) != b"..":
        return None
    parts = token.split(".")
    return parts if parts[0] and parts[1] and parts[2] else None


def parse(token: str) -> Jws:
    """Split and decode a compact JWS. Nothing is trusted yet: the signature is checked later."""
    parts = compact_parts(token)
    if parts is None:
        raise TokenError("malformed", "the token is not a valid JWT")
    h, p, s = parts
    header = _json_object(_b64(h))
    claims = _json_object(_b64(p))
    return Jws(header, claims, f"{h}.{p}".encode("ascii"), _b64(s, canonical=True))


def check_header(header: dict[str, Any], algorithms: frozenset[str]) -> tuple[str, str]:
    """The allowed `alg` and the `kid`; refuses `none`/HMAC (never allowed), `crit` and key-bearing headers."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise TokenError("alg_not_allowed", "the token's signing algorithm is not allowed")
    if "crit" in header:
        raise TokenError("crit_unsupported", "the token has critical header parameters")
    if any(name in header for name in KEY_BEARING_HEADERS):
        raise TokenError("header_not_allowed", "the token names its own key")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("unknown_kid", "the token has no key id")
    return alg, kid


# ---- signatures ------------------------------------------------------------------------------------------

Verify = Callable[[Any, bytes, bytes], None]  # (public key, signing input, signature) -> None or raise

_HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
_EC_SIZE = {"256": 32, "384": 48, "512": 66}


def _rsa(bits: str) -> Verify:
    def verify(key: Any, data: bytes, sig: bytes) -> None:
        key.verify(sig, data, padding.PKCS1v15(), _HASH[bits])
    return verify


def _pss(bits: str) -> Verify:
    def verify(key: Any, data: bytes, sig: bytes) -> None:
        pss = padding.PSS(mgf=padding.MGF1(_HASH[bits]), salt_length=_HASH[bits].digest_size)
        key.verify(sig, data, pss, _HASH[bits])
    return verify


def _ecdsa(bits: str) -> Verify:
    size = _EC_SIZE[bits]

    def verify(key: Any, data: bytes, sig: bytes) -> None:
        if len(sig) != 2 * size:
            raise InvalidSignature
        r, s = int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(_HASH[bits]))
    return verify


def _eddsa(key: Any, data: bytes, sig: bytes) -> None:
    key.verify(sig, data)


VERIFIERS: dict[str, Verify] = {
    **{f"RS{b}": _rsa(b) for b in _HASH},
    **{f"PS{b}": _pss(b) for b in _HASH},
    **{f"ES{b}": _ecdsa(b) for b in _HASH},
    "EdDSA": _eddsa,
}

# What key an algorithm needs: (kty, allowed curves or None).
KEY_TYPES: dict[str, tuple[str, frozenset[str] | None]] = {
    **{f"RS{b}": ("RSA", None) for b in _HASH},
    **{f"PS{b}": ("RSA", None) for b in _HASH},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}


def verify_signature(alg: str, key: Any, jws: Jws) -> None:
    try:
        VERIFIERS[alg](key, jws.signing_input, jws.signature)
    except (InvalidSignature, ValueError, TypeError):
        raise TokenError("bad_signature", "the token's signature is not valid") from None


# ---- time claims -----------------------------------------------------------------------------------------

def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_times(claims: dict[str, Any], now: float, leeway: float) -> float:
    """`exp` required and in the future; `nbf` and `iat` checked when present. Returns `exp`."""
    exp = claims.get("exp")
    if not _number(exp):
        raise TokenError("missing_exp", "the token has no valid expiry")
    if now >= exp + leeway:
        raise TokenError("expired", "the token has expired")
    nbf = claims.get("nbf")
    if nbf is not None and (not _number(nbf) or now + leeway < nbf):
        raise TokenError("not_yet_valid", "the token is not valid yet")
    iat = claims.get("iat")
    if iat is not None and (not _number(iat) or now + leeway < iat):
        raise TokenError("not_yet_valid", "the token was issued in the future")
    return float(exp)
