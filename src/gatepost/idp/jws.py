"""Compact JWS signing (RS256) for the pool's tokens; verification is the authorizers' (jwt_verify.py)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_rs256(claims: dict[str, Any], private_key: Any, kid: str) -> str:
    header = b64url(orjson.dumps({"kid": kid, "alg": "RS256"}))
    signing_input = f"{header}.{b64url(orjson.dumps(claims))}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"
