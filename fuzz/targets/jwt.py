"""JWTs as a client may send them: raw text, or a header and payload of drawn JSON (base64url-encoded, so
the parser gets past the shape checks). Refusals are TokenErrors; the claim readers and the REST/HTTP event
renderings must take any claims that pass the time checks."""

from __future__ import annotations

import base64
import json

from fuzz.draw import Draw
from gatepost.authorizers.jwt_claims import audience_matches, http_claims, rest_claims, token_groups, token_scopes
from gatepost.authorizers.jwt_verify import ALL_ALGORITHMS, TokenError, check_header, check_times, parse

NOW = 1_800_000_000.0
NAMES = ["alg", "kid", "typ", "crit", "jku", "jwk", "x5u", "x5c", "exp", "nbf", "iat", "aud", "scope", "scp",
         "cognito:groups", "client_id", "token_use", "sub", "iss", "realm_access"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _token(d: Draw) -> str:
    if d.int(4) == 0:
        return d.text(300)
    header = {d.pick_or_text(NAMES): d.json_value() for _ in range(d.int(4))}
    if d.bool():
        header.update(alg=d.pick_or_text(sorted(ALL_ALGORITHMS)), kid=d.pick_or_text(["k1", ""]))
    claims = {d.pick_or_text(NAMES): d.json_value() for _ in range(d.int(8))}
    if d.bool():
        claims.setdefault("exp", NOW + d.int(10_000))
    parts = [json.dumps(header).encode(), json.dumps(claims).encode(), d.raw(80)]
    return ".".join(_b64(p) for p in parts)


def one_input(data: bytes) -> None:
    d = Draw(data)
    token = _token(d)
    try:
        jws = parse(token)
        check_header(jws.header, ALL_ALGORITHMS)
    except TokenError:
        return
    claims = jws.claims
    token_scopes(claims)
    token_groups(claims, d.pick_or_text(["cognito:groups", "realm_access.roles", "groups"]))
    audience_matches(claims, frozenset({"demo", "mobile-app"}))
    try:
        check_times(claims, NOW, float(d.int(300)))
    except TokenError:
        return
    rest_claims(claims)
    http_claims(claims)
