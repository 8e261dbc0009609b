"""SigV4Verifier: checks an incoming request's signature for one signing service and region.

Order of checks (each failure is the GatewayError AWS answers): signature present -> parameters
well formed -> credential scope (terminator, service, region, date) -> clock skew (5 minutes; presigned
requests: X-Amz-Expires) -> `host` signed -> `x-amz-content-sha256` matches the body -> access key known,
active, session token right, not expired -> signature (constant-time) over the canonical request built
from what was received: `req.raw_path`, the raw query, the received headers and the received body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gatepost.clock import Clock
from gatepost.request import GatewayRequest
from gatepost.sigv4 import messages as msg
from gatepost.sigv4.canonical import canonical_request, payload_hash, string_to_sign
from gatepost.sigv4.encoding import uri_encode
from gatepost.sigv4.keys import SigningKeyCache
from gatepost.sigv4.params import SignatureParams, amz_epoch, has_signature, parse

SKEW_SECONDS = 300
_REDACTED = "<redacted>"


@dataclass(frozen=True)
class Credential:
    """What the verifier needs to know about an access key. `identity` is opaque to it (the caller)."""

    access_key: str
    secret: str = field(repr=False)
    active: bool = True
    session_token_sha256: bytes | None = field(default=None, repr=False)  # temporary credentials only
    expires_at: float | None = None
    identity: Any = None
    # the signing-key cache's guard against a re-issued secret; computed once per snapshot, not per request
    secret_digest: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "secret_digest", hashlib.sha256(self.secret.encode()).digest()[:8])


@dataclass(frozen=True)
class VerifiedCaller:
    credential: Credential
    params: SignatureParams

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, credential: Credential, params: SignatureParams) -> None:
        object.__setattr__(self, "credential", credential)
        object.__setattr__(self, "params", params)


Lookup = Callable[[str], Credential | None]


class SigV4Verifier:
    def __init__(self, service: str, region: str, lookup: Lookup, clock: Clock,
                 keys: SigningKeyCache | None = None) -> None:
        self.service = service
        self.region = region
        self.lookup = lookup
        self.clock = clock
        self.keys = keys or SigningKeyCache()

    def is_signed(self, req: GatewayRequest) -> bool:
        return has_signature(req)

    def verify(self, req: GatewayRequest) -> VerifiedCaller:
        if not has_signature(req):
            raise msg.missing()
        p = parse(req)
        self._check_scope(p)
        self._check_time(p)
        if "host" not in p.signed_headers:
            raise msg.invalid("host_not_signed", "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                                                 "Authorization.")
        body_hash = payload_hash(req.body)
        sent_hash = req.header_map.get("x-amz-content-sha256")
        if sent_hash is not None and not hmac.compare_digest(sent_hash.strip().lower(), body_hash):
            raise msg.invalid("payload_hash_mismatch", "The provided 'x-amz-content-sha256' header does not match "
                                                       "what was computed.")
        credential = self._credential(p)
        self._check_signature(req, p, credential, body_hash)
        return VerifiedCaller(credential, p)

    def _check_scope(self, p: SignatureParams) -> None:
        if p.terminator != "aws4_request":
            raise msg.invalid("scope_terminator", "Credential should be scoped with a valid terminator: "
                                                  f"'aws4_request', not '{p.terminator[:32]}'. ")
        if p.service != self.service:
            raise msg.invalid("scope_service", f"Credential should be scoped to correct service: '{self.service}'. ")
        if p.region != self.region:
            raise msg.invalid("scope_region", f"Credential should be scoped to a valid region, not '{p.region[:32]}'. ")
        if p.scope_date != p.amz_date[:8]:
            raise msg.invalid("scope_date", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                                            f"of date from HTTP: '{p.scope_date[:16]}' != '{p.amz_date[:8]}', from "
                                            f"'{p.amz_date}'.")

    def _check_time(self, p: SignatureParams) -> None:
        now = self.clock.now()
        signed_at = amz_epoch(p.amz_date)
        if signed_at > now + SKEW_SECONDS:
            raise msg.not_yet_current(p.amz_date, now)
        if p.presigned:
            assert p.expires is not None
            if signed_at < now - p.expires:
                raise msg.expired(p.amz_date, now, p.expires, f"{p.expires} sec")
        elif signed_at < now - SKEW_SECONDS:
            raise msg.expired(p.amz_date, now, SKEW_SECONDS, "5 min")

    def _credential(self, p: SignatureParams) -> Credential:
        credential = self.lookup(p.access_key)
        if credential is None or not credential.active:
            raise msg.unknown_key()
        token = p.session_token
        if credential.session_token_sha256 is None:
            if token:
                raise msg.unknown_key("token_unexpected")
            return credential
        if not token:
            raise msg.unknown_key("token_missing")
        if not hmac.compare_digest(hashlib.sha256(token.encode()).digest(), credential.session_token_sha256):
            raise msg.unknown_key("token_invalid")
        if credential.expires_at is not None and self.clock.now() >= credential.expires_at:
            raise msg.expired_token()
        return credential

    def _check_signature(self, req: GatewayRequest, p: SignatureParams, credential: Credential,
                         body_hash: str) -> None:
        creq = canonical_request(req.method, req.raw_path, list(p.query), req.headers, p.signed_headers, body_hash)
        sts = string_to_sign(p.amz_date, p.scope, creq)
        key = self.keys.get(credential.access_key, credential.secret, credential.secret_digest, p.scope_date,
                            p.region, p.service)
        expected = key.sign(sts)
        # compare_digest takes ASCII text only; any other text is a mismatch like any wrong signature
        if not p.signature.isascii() or not hmac.compare_digest(expected, p.signature):
            raise msg.mismatch(_redact(creq, p.session_token), sts)


def _redact(creq: str, token: str | None) -> str:
    if not token:
        return creq
    return creq.replace(uri_encode(token), _REDACTED).replace(token, _REDACTED)
