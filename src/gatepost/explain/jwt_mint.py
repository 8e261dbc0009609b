"""Tokens the probe sends: RS256 JWTs signed with a throw-away key (wrong issuer) or the operator's key
(expired). Never valid: the probe only proves that the gateway refuses them."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

WRONG_ISSUER = "https://gatepost-probe.invalid/issuer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@lru_cache(maxsize=1)
def throwaway_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_key(path: str | Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key (the probe signs RS256)")
    return key


def mint(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = "gatepost-probe") -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def claims_for(issuer: str, audience: str | None, now: float, *, expired: bool) -> dict[str, Any]:
    iat = int(now) - (7200 if expired else 60)
    claims: dict[str, Any] = {"iss": issuer, "sub": "gatepost-probe", "iat": iat, "exp": iat + 3600,
                              "token_use": "access", "scope": "gatepost-probe"}
    if audience:
        claims["aud"] = audience
        claims["client_id"] = audience
    return claims
