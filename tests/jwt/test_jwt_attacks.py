"""The attack corpus: every token here must be refused (401), for the right reason, without reaching the
upstream and without the gateway contacting anything the token names."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from jwt_helpers import Issuers, access_log_reasons, bearer, gateway_yaml, run_web

from gatepost.clock import ManualClock
from gatepost.devtools.issuer import LocalIssuer
from gatepost.devtools.jws_sign import b64url, generate_key, public_jwk, sign_jwt
from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway

AUD = "payments.example.com"


def _unsigned(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    return f"{b64url(orjson.dumps(header))}.{b64url(orjson.dumps(claims))}.{b64url(signature)}"


def _hs256_with_public_key(bank: LocalIssuer, claims: dict[str, object]) -> str:
    pem = bank.signing_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head = b64url(orjson.dumps({"alg": "HS256", "typ": "JWT", "kid": bank.signing_key.kid}))
    body = b64url(orjson.dumps(claims))
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


Case = Callable[[LocalIssuer, dict[str, object], str], str]  # (bank issuer, good claims, hostile url) -> token
EVIL_KEY = generate_key("RS256")


def _evil(claims: dict[str, object], **header: object) -> str:
    return sign_jwt(claims, EVIL_KEY, "RS256", **header)


def _b64_part(token: str, index: int, raw: bytes) -> str:
    parts = token.split(".")
    parts[index] = b64url(raw)
    return ".".join(parts)


CASES: dict[str, tuple[Case, str]] = {
    "alg_none_empty_signature": (lambda b, c, h: _unsigned({"alg": "none", "kid": b.signing_key.kid}, c),
                                 "jwt.malformed"),
    "alg_none_with_signature": (lambda b, c, h: _unsigned({"alg": "none", "kid": b.signing_key.kid}, c, b"x"),
                                "jwt.alg_not_allowed"),
    "alg_None_case": (lambda b, c, h: _unsigned({"alg": "None", "kid": b.signing_key.kid}, c, b"x"),
                      "jwt.alg_not_allowed"),
    "hs256_with_rsa_public_key": (lambda b, c, h: _hs256_with_public_key(b, c), "jwt.alg_not_allowed"),
    "unknown_kid": (lambda b, c, h: _evil(c, kid="evil-1"), "jwt.unknown_kid"),
    "no_kid": (lambda b, c, h: sign_jwt(c, b.signing_key.private, "RS256"), "jwt.unknown_kid"),
    "known_kid_other_key": (lambda b, c, h: _evil(c, kid=b.signing_key.kid), "jwt.bad_signature"),
    "jku_header": (lambda b, c, h: _evil(c, kid="evil-1", jku=f"{h}/jwks.json"), "jwt.header_not_allowed"),
    "jku_with_known_kid": (lambda b, c, h: _evil(c, kid=b.signing_key.kid, jku=f"{h}/jwks.json"),
                           "jwt.header_not_allowed"),
    "x5u_header": (lambda b, c, h: _evil(c, kid="evil-1", x5u=f"{h}/cert.pem"), "jwt.header_not_allowed"),
    "jwk_header": (lambda b, c, h: _evil(c, kid="evil-1", jwk=public_jwk(EVIL_KEY, "evil-1", "RS256")),
                   "jwt.header_not_allowed"),
    "x5c_header": (lambda b, c, h: _evil(c, kid="evil-1", x5c=["MIIB"]), "jwt.header_not_allowed"),
    "crit_header": (lambda b, c, h: b.sign(c, crit=["exp"]), "jwt.crit_unsupported"),
    "crit_b64_false": (lambda b, c, h: b.sign(c, crit=["b64"], b64=False), "jwt.crit_unsupported"),
    "expired": (lambda b, c, h: b.sign({**c, "exp": c["iat"]}), "jwt.expired"),
    "no_exp": (lambda b, c, h: b.sign({k: v for k, v in c.items() if k != "exp"}), "jwt.missing_exp"),
    "exp_as_string": (lambda b, c, h: b.sign({**c, "exp": str(c["exp"])}), "jwt.missing_exp"),
    "not_yet_valid": (lambda b, c, h: b.sign({**c, "nbf": int(c["iat"]) + 60}), "jwt.not_yet_valid"),  # type: ignore[call-overload]
    "issued_in_future": (lambda b, c, h: b.sign({**c, "iat": int(c["iat"]) + 60}), "jwt.not_yet_valid"),  # type: ignore[call-overload]
    "wrong_iss": (lambda b, c, h: _evil({**c, "iss": h}, kid="evil-1"), "jwt.issuer_not_allowed"),
    "iss_trailing_slash": (lambda b, c, h: b.sign({**c, "iss": b.issuer + "/"}), "jwt.issuer_not_allowed"),
    "wrong_aud": (lambda b, c, h: b.sign({**c, "aud": "someone-else"}), "jwt.bad_audience"),
    "truncated": (lambda b, c, h: b.sign(c)[:-10], "jwt.bad_signature"),
    "signature_removed": (lambda b, c, h: b.sign(c).rsplit(".", 1)[0] + ".", "jwt.malformed"),
    "two_parts": (lambda b, c, h: b.sign(c).rsplit(".", 1)[0], "jwt.malformed"),
    "four_parts": (lambda b, c, h: b.sign(c) + ".e30", "jwt.malformed"),
    "padded": (lambda b, c, h: b.sign(c) + "==", "jwt.malformed"),
    "padded_payload": (lambda b, c, h: b.sign(c).replace(".", "=.", 1), "jwt.malformed"),
    "standard_base64_chars": (lambda b, c, h: b.sign(c).replace("-", "+").replace("_", "/") + "+/",
                              "jwt.malformed"),
    "non_json_payload": (lambda b, c, h: _b64_part(b.sign(c), 1, b"not json"), "jwt.malformed"),
    "json_array_header": (lambda b, c, h: _b64_part(b.sign(c), 0, b'["alg","RS256"]'), "jwt.malformed"),
    "non_canonical_base64": (lambda b, c, h: _flip_last_bits(b.sign(c)), "jwt.malformed"),
    "payload_swapped": (lambda b, c, h: _b64_part(b.sign(c), 1, orjson.dumps({**c, "sub": "admin"})),
                        "jwt.bad_signature"),
    "over_size_cap": (lambda b, c, h: b.sign({**c, "pad": "x" * 6000}), "jwt.too_large"),
}


def _flip_last_bits(token: str) -> str:
    """A signature whose last base64url char carries non-zero unused bits: same bytes, other text."""
    head, body, sig = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(sig) % 4 in (2, 3)  # RSA-2048: 256 bytes -> 342 chars, the last one has 4 unused bits
    return f"{head}.{body}.{sig[:-1]}{alphabet[alphabet.index(sig[-1]) | 1]}"


@pytest.fixture
def hostile() -> object:
    evil_jwks = {"keys": [public_jwk(EVIL_KEY, "evil-1", "RS256")]}

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(evil_jwks if request.path.endswith("jwks.json")
                                 else {"issuer": str(request.url.origin()), "jwks_uri": "/jwks.json"})

    with run_web({"/{tail:.*}": serve}) as server:
        yield server


@pytest.mark.parametrize("name", sorted(CASES))
def test_attack_is_refused(name: str, issuers: Issuers, upstream: Upstream, clock: ManualClock, hostile: object,
                           tmp_path: Path) -> None:
    make, reason = CASES[name]
    bank = issuers["bank"]
    good = bank.claims(aud=AUD, now=clock.now())
    token = make(bank, good, hostile.url)  # type: ignore[attr-defined]
    cfg = gateway_yaml({"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": [AUD]}},
                       [{"route": "POST /b2b/settlements", "authorizer": "bank"}], upstream.url, flavour="rest")
    log = tmp_path / "access.log"
    with run_gateway(cfg, clock=clock, access_log=AccessLog(str(log))) as gw:
        assert gw.post("/b2b/settlements", headers=bearer(bank.sign(good))).status_code == 200  # the control
        r = gw.post("/b2b/settlements", headers=bearer(token))
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"}), name
        assert r.headers["www-authenticate"].startswith('Bearer scope="" error="invalid_token"')
    assert upstream.count == 1  # only the control request got through
    assert access_log_reasons(log)[-1] == reason
    assert hostile.hits == []  # type: ignore[attr-defined]  # nothing a token names is ever fetched


def test_token_of_issuer_a_to_route_of_issuer_b(issuers: Issuers, upstream: Upstream, clock: ManualClock) -> None:
    a, b = issuers["bank"], issuers["other"]
    cfg = gateway_yaml({"a": {"type": "jwt", "issuer": a.issuer, "audiences": [AUD]},
                        "b": {"type": "jwt", "issuer": b.issuer, "audiences": [AUD]}},
                       [{"route": "GET /a", "authorizer": "a"}, {"route": "GET /b", "authorizer": "b"}], upstream.url)
    token_a = a.mint(aud=AUD, now=clock.now())
    forged = a.sign({**a.claims(aud=AUD, now=clock.now()), "iss": b.issuer})  # iss says B, signed by A's key
    with run_gateway(cfg, clock=clock) as gw:
        assert gw.get("/a", headers=bearer(token_a)).status_code == 200
        assert gw.get("/b", headers=bearer(token_a)).status_code == 401
        assert gw.get("/b", headers=bearer(forged)).status_code == 401
        assert gw.get("/a", headers=bearer(forged)).status_code == 401
    assert upstream.count == 1


def test_alg_confusion_between_key_types(upstream: Upstream, clock: ManualClock) -> None:
    """ES256 allowed, but an ES256 token naming an RSA key's kid is refused (the key pins its type and alg)."""
    from jwt_helpers import run_issuers

    with run_issuers({"bank": False}) as issuers:
        bank = issuers["bank"]
        ec_key = generate_key("ES256")
        token = sign_jwt(bank.claims(aud=AUD, now=clock.now()), ec_key, "ES256", kid=bank.signing_key.kid)
        cfg = gateway_yaml({"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": [AUD],
                                     "algorithms": ["RS256", "ES256"]}},
                           [{"route": "GET /x", "authorizer": "bank"}], upstream.url)
        with run_gateway(cfg, clock=clock) as gw:
            r = gw.get("/x", headers=bearer(token))
    assert r.status_code == 401
    assert "does not match its key" in r.headers["www-authenticate"]


def test_unpadded_base64_helper_is_strict() -> None:
    from gatepost.authorizers.jwt_verify import TokenError, _b64

    assert _b64(base64.urlsafe_b64encode(b"ab").rstrip(b"=").decode()) == b"ab"
    for bad in ("Y", "YWJjZ"):
        with pytest.raises(TokenError):
            _b64(bad)
    with pytest.raises(TokenError):
        _b64("YWJ", canonical=True)  # "YWI" is the canonical spelling of b"ab"
    assert _b64("YWI", canonical=True) == b"ab"
