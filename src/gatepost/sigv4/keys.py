"""Signing keys: kDate -> kRegion -> kService -> kSigning, derived once per (secret, date, region, service)."""

from __future__ import annotations

import hmac
from collections import OrderedDict


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.digest(key, text.encode("utf-8"), "sha256")


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    return _hmac(_hmac(_hmac(k_date, region), service), "aws4_request")


def signature(signing_key: bytes, sts: str) -> str:
    return hmac.digest(signing_key, sts.encode("utf-8"), "sha256").hex()  # one-shot: OpenSSL, no HMAC object


class SigningKeyCache:
    """A bounded LRU of derived keys, keyed by (access key id, date, region, service) and the secret's digest
    (so a re-issued secret never reuses a stale key). Holds no secret, only derived keys."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._keys: OrderedDict[tuple[str, str, str, str, bytes], bytes] = OrderedDict()

    def get(self, access_key: str, secret: str, secret_digest: bytes, date: str, region: str,
            service: str) -> bytes:
        k = (access_key, date, region, service, secret_digest)
        found = self._keys.get(k)
        if found is not None:
            self._keys.move_to_end(k)
            return found
        derived = derive_signing_key(secret, date, region, service)
        self._keys[k] = derived
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return derived
