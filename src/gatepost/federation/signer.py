"""GetOpenIdToken's tokens: RS256, signed with a key kept like the built-in pools' keys (idp/keys.py: in the
catalog, the private half sealed by the master key), published at `/_gatepost/cognito-identity/.well-known/
jwks.json` so that a `jwt` authorizer can trust `{base}/_gatepost/cognito-identity` as an issuer.

Claims as Cognito writes them: `sub` the identity id, `aud` the identity pool id, `amr`, `iat`, `exp`
(10 minutes).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gatepost.iam.crypto import SecretBox
from gatepost.idp.jws import sign_rs256
from gatepost.idp.keys import KeyRing, add_key, key_docs, load_ring
from gatepost.stores.base import Catalog

RING = "cognito-identity"
TOKEN_SECONDS = 600


class OpenIdSigner:
    def __init__(self, catalog: Catalog, config_dir: Path) -> None:
        self.catalog = catalog
        self.config_dir = config_dir
        self._ring: KeyRing | None = None
        self._lock = threading.Lock()

    def ring(self, now: float) -> KeyRing:
        """Blocking (catalog, decryption): the key ring, created on first use."""
        with self._lock:
            if self._ring is None:
                box = SecretBox.for_catalog(self.catalog, self.config_dir)
                if not key_docs(self.catalog, RING):
                    add_key(self.catalog, RING, box, now, retire_others=False)
                self._ring = load_ring(self.catalog, RING, box, TOKEN_SECONDS)
            return self._ring

    def sign(self, issuer: str, pool_id: str, identity_id: str, amr: list[str], now: float) -> str:
        ring = self.ring(now)
        if ring.signer is None or ring.kid is None:
            raise RuntimeError("the identity pools' signing key cannot be unsealed (wrong master key?)")
        claims: dict[str, Any] = {"iss": issuer, "sub": identity_id, "aud": pool_id, "amr": amr,
                                  "iat": int(now), "exp": int(now) + TOKEN_SECONDS}
        return sign_rs256(claims, ring.signer, ring.kid)

    def jwks(self, now: float) -> dict[str, Any]:
        return self.ring(now).jwks(now)
