"""A pool's RS256 signing keys: generated here, stored in the catalog with the private half sealed by the
master key (iam/crypto.py), published in the JWKS until the last token they signed has expired.

Rotation adds a key and retires the current one: new tokens are signed with the new key at once, while
the retired key stays published (and trusted) for `retention` seconds, the longest ID/access token
lifetime, then leaves the JWKS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from gatepost.authorizers.jwk_import import JwkEntry, import_jwk
from gatepost.iam.crypto import SecretBox, SecretError
from gatepost.stores.base import Catalog, Doc

log = logging.getLogger("gatepost.idp")
KEYS = "idp_keys"
ALG = "RS256"


def _context(pool_id: str, kid: str) -> str:
    return f"idp-key:{pool_id}/{kid}"


def new_key_doc(pool_id: str, box: SecretBox, now: float) -> Doc:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAKey.import_key(private.public_key())
    kid = jwk.thumbprint()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = {**jwk.as_dict(private=False), "kid": kid, "alg": ALG, "use": "sig"}
    return {"kid": kid, "alg": ALG, "public": public, "private": box.seal(pem, _context(pool_id, kid)),
            "created_at": now, "retired_at": None}


def key_docs(catalog: Catalog, pool_id: str) -> list[Doc]:
    """Oldest first."""
    docs = [d for _, d in catalog.list(KEYS, prefix=f"{pool_id}/")]
    return sorted(docs, key=lambda d: (d.get("created_at", 0), d.get("kid", "")))


def add_key(catalog: Catalog, pool_id: str, box: SecretBox, now: float, *, retire_others: bool) -> Doc:
    doc = new_key_doc(pool_id, box, now)
    if retire_others:
        for old in key_docs(catalog, pool_id):
            if old.get("retired_at") is None:
                catalog.update(KEYS, f"{pool_id}/{old['kid']}",
                               lambda d: None if d is None else {**d, "retired_at": now})
    catalog.put(KEYS, f"{pool_id}/{doc['kid']}", doc)
    return doc


def prune_keys(catalog: Catalog, pool_id: str, retention: float, now: float) -> list[str]:
    """Delete retired keys whose tokens have all expired; returns their kids."""
    gone = []
    for doc in key_docs(catalog, pool_id):
        retired = doc.get("retired_at")
        if retired is not None and now >= retired + retention:
            catalog.delete(KEYS, f"{pool_id}/{doc['kid']}")
            gone.append(doc["kid"])
    return gone


@dataclass(frozen=True, slots=True)
class PublishedKey:
    jwk: Mapping[str, Any]
    entry: JwkEntry
    until: float | None  # published (and trusted) until then; None while current


@dataclass(frozen=True, slots=True)
class KeyRing:
    """One pool's keys at one moment: the signer and the published public keys. Replaced, never changed."""

    kid: str | None = None
    signer: Any = field(default=None, repr=False)  # the current private key (never logged)
    published: Mapping[str, PublishedKey] = field(default_factory=dict)

    def public(self, kid: str, now: float) -> JwkEntry | None:
        found = self.published.get(kid)
        if found is None or (found.until is not None and now >= found.until):
            return None
        return found.entry

    def jwks(self, now: float) -> dict[str, Any]:
        return {"keys": [dict(k.jwk) for k in self.published.values() if k.until is None or now < k.until]}


def load_ring(catalog: Catalog, pool_id: str, box: SecretBox, retention: float) -> KeyRing:
    """Blocking (catalog, decryption): run in a thread. A key that cannot be unsealed is left out (logged)."""
    signer: Any = None
    kid: str | None = None
    published: dict[str, PublishedKey] = {}
    for doc in key_docs(catalog, pool_id):
        entry = import_jwk(doc.get("public"))
        if entry is None:
            continue
        retired = doc.get("retired_at")
        published[entry.kid] = PublishedKey(doc["public"], entry, None if retired is None else retired + retention)
        if retired is None:
            try:
                pem = box.unseal(doc["private"], _context(pool_id, entry.kid))
            except (SecretError, KeyError):
                log.warning("idp.key_unusable pool=%s kid=%s (wrong master key?)", pool_id, entry.kid)
                continue
            signer, kid = serialization.load_pem_private_key(pem.encode(), password=None), entry.kid
    return KeyRing(kid, signer, published)
