"""A SigV4 `Authorization` header for the probe, then spoiled: the signature never verifies.

Signed as AWS documents for execute-api (canonical request, string to sign, derived key), so the
gateway gets past parsing and must refuse on the signature (or on the unknown access key).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from urllib.parse import quote

SERVICE = "execute-api"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def random_credentials() -> tuple[str, str]:
    return "AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)


def bad_signature_headers(method: str, host: str, path: str, region: str, body: bytes = b"",
                          credentials: tuple[str, str] | None = None, now: datetime | None = None) -> dict[str, str]:
    key_id, secret = credentials or random_credentials()
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    date = stamp[:8]
    payload = hashlib.sha256(body).hexdigest()
    canonical_path = "/".join(quote(quote(seg, safe="-_.~"), safe="-_.~%") for seg in path.split("/")) or "/"
    canonical = "\n".join([method, canonical_path, "", f"host:{host}", f"x-amz-date:{stamp}", "",
                           "host;x-amz-date", payload])
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), SERVICE), "aws4_request")
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    spoiled = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return {"authorization": f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=host;x-amz-date, "
                             f"Signature={spoiled}",
            "x-amz-date": stamp, "x-amz-content-sha256": payload}
