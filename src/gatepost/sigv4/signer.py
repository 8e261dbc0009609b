"""A minimal SigV4 client signer (headers form), for the bench, the demo and `gatepost` tools.

Tests use real clients (botocore, requests-aws4auth, curl) instead; this signer exists so the bench
can sign without botocore's overhead. A signature stays valid for 5 minutes (the skew window), so a
load generator may replay one signed header set for a run shorter than that.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from gatepost.sigv4.canonical import ALGORITHM, canonical_request, payload_hash, string_to_sign
from gatepost.sigv4.keys import SigningKey, derive_signing_key


def sign_headers(method: str, url: str, *, access_key: str, secret_key: str, region: str,
                 service: str = "execute-api", body: bytes = b"", headers: dict[str, str] | None = None,
                 session_token: str | None = None, now: float | None = None) -> dict[str, str]:
    """The headers to send (given ones + host, x-amz-date, [x-amz-security-token], authorization).
    `url` must be percent-encoded as it will be sent."""
    parts = urlsplit(url)
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    out = {k.lower(): v for k, v in (headers or {}).items()}
    out["host"] = parts.netloc
    out["x-amz-date"] = amz_date
    if session_token:
        out["x-amz-security-token"] = session_token
    signed = tuple(sorted(out))
    creq = canonical_request(method, parts.path or "/", parts.query, out.items(), signed, payload_hash(body))
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    key = SigningKey(derive_signing_key(secret_key, amz_date[:8], region, service))
    sig = key.sign(string_to_sign(amz_date, scope, creq))
    out["authorization"] = (f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={';'.join(signed)}, "
                            f"Signature={sig}")
    return out
