"""A JWKS document -> the public keys Gatepost will verify with, one per `kid` (RFC 7517).

Keys are imported once per fetch (joserfc parses the JWK; `cryptography` verifies). A key is skipped,
with a log line, when it has no `kid`, is not for signatures, is an unsupported type or curve, or is an
RSA key under 2048 bits. A JWK's own `alg`, when present, pins the algorithm it may be used with.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, OKPKey, RSAKey

from gatepost.authorizers.jwt_verify import KEY_TYPES

log = logging.getLogger("gatepost.jwks")

MIN_RSA_BITS = 2048
_IMPORTERS: dict[str, Any] = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
_SIGNING_CURVES = frozenset({"P-256", "P-384", "P-521", "Ed25519", "Ed448"})


@dataclass(frozen=True, slots=True)
class JwkEntry:
    kid: str
    kty: str
    crv: str
    alg: str | None
    key: Any  # a cryptography public key object

    def fits(self, alg: str) -> bool:
        """May this key verify a token signed with `alg`?"""
        kty, curves = KEY_TYPES[alg]
        return self.kty == kty and (curves is None or self.crv in curves) and self.alg in (None, alg)


def _public_part(jwk: Mapping[str, Any]) -> dict[str, Any]:
    """Only the public members: a JWKS that (wrongly) publishes private parts never gives us a private key."""
    keep = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x")}
    return {k: jwk[k] for k in keep.get(str(jwk.get("kty")), ()) if k in jwk}


def import_jwk(jwk: Any) -> JwkEntry | None:
    if not isinstance(jwk, dict):
        return None
    kid, kty, use, alg = jwk.get("kid"), jwk.get("kty"), jwk.get("use"), jwk.get("alg")
    if not isinstance(kid, str) or not kid or kty not in _IMPORTERS or use not in (None, "sig"):
        return None
    if alg is not None and alg not in KEY_TYPES:
        return None
    crv = jwk.get("crv", "")
    if kty != "RSA" and crv not in _SIGNING_CURVES:
        return None
    try:
        key = _IMPORTERS[kty].import_key(_public_part(jwk)).public_key
    except Exception:  # joserfc raises several types for malformed members
        return None
    if kty == "RSA" and key.key_size < MIN_RSA_BITS:
        return None
    return JwkEntry(kid, kty, crv if isinstance(crv, str) else "", alg, key)


def import_jwks(doc: Any, source: str) -> dict[str, JwkEntry]:
    """kid -> key; the first key wins when a kid repeats. Logs what was skipped (never key material)."""
    keys = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(keys, list):
        raise ValueError("the JWKS has no 'keys' list")
    out: dict[str, JwkEntry] = {}
    skipped = 0
    for jwk in keys:
        entry = import_jwk(jwk)
        if entry is None or entry.kid in out:
            skipped += 1
            continue
        out[entry.kid] = entry
    if skipped:
        log.warning("jwks.keys_skipped source=%s skipped=%d (no kid, not for signing, unsupported or weak)",
                    source, skipped)
    return out
