"""Signing side of compact JWS, for the local issuer, tests and benchmarks (never used by the gateway).

Keys are `cryptography` private keys; public JWKs are written by joserfc.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, OKPKey, RSAKey

_HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}
_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "ES256": (ec.SECP256R1(), 32), "ES384": (ec.SECP384R1(), 48), "ES512": (ec.SECP521R1(), 66)}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key(alg: str = "RS256") -> Any:
    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg][0])
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported algorithm {alg!r}")


def signature(alg: str, key: Any, data: bytes) -> bytes:
    bits = alg[2:]
    if alg.startswith("RS"):
        return bytes(key.sign(data, padding.PKCS1v15(), _HASH[bits]))
    if alg.startswith("PS"):
        pss = padding.PSS(mgf=padding.MGF1(_HASH[bits]), salt_length=_HASH[bits].digest_size)
        return bytes(key.sign(data, pss, _HASH[bits]))
    if alg in _CURVES:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(_HASH[bits])))
        size = _CURVES[alg][1]
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == "EdDSA":
        return bytes(key.sign(data))
    raise ValueError(f"unsupported algorithm {alg!r}")


def sign_jwt(claims: dict[str, Any], key: Any, alg: str = "RS256", **header: Any) -> str:
    """A compact JWS; `header` adds or overrides header members (kid, typ, ...)."""
    head = {"alg": alg, "typ": "JWT", **header}
    signing_input = f"{b64url(orjson.dumps(head))}.{b64url(orjson.dumps(claims))}"
    return f"{signing_input}.{b64url(signature(alg, key, signing_input.encode('ascii')))}"


def _jwk_class(key: Any) -> Any:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RSAKey
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return ECKey
    return OKPKey


def public_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    public = key.public_key() if hasattr(key, "public_key") else key
    jwk: dict[str, Any] = dict(_jwk_class(public).import_key(public).as_dict(private=False))
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


def private_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    jwk: dict[str, Any] = dict(_jwk_class(key).import_key(key).as_dict(private=True))
    return {**jwk, "kid": kid, "alg": alg}


def load_private_jwk(jwk: dict[str, Any]) -> Any:
    cls: Any = {"RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}[jwk["kty"]]
    members = {k: v for k, v in jwk.items() if k not in ("kid", "alg", "use")}
    return cls.import_key(members).private_key
