"""Secrets at rest: AES-256-GCM under one master key per deployment.

The master key comes from `GATEPOST_MASTER_KEY` (base64 or hex of 32 bytes; any other text is hashed
with SHA-256 into a key) or from a key file created on first use with mode 0600 next to the catalog
(`.gatepost/master.key` beside `gatepost.db`). Instances of one deployment share the file or the variable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gatepost.stores.base import Catalog

log = logging.getLogger("gatepost.iam")
ENV_VAR = "GATEPOST_MASTER_KEY"
_PREFIX = "v1."


class SecretError(ValueError):
    """A stored secret that cannot be decrypted (wrong master key, or tampered)."""


def key_file_for(catalog: Catalog, config_dir: Path) -> Path:
    db_path = getattr(catalog, "path", None)
    if isinstance(db_path, Path):
        return db_path.parent / "master.key"
    return config_dir / ".gatepost" / "master.key"


def _decode(text: str) -> bytes:
    text = text.strip()
    for decode in (base64.b64decode, base64.urlsafe_b64decode, bytes.fromhex):
        try:
            raw = decode(text + "=" * (-len(text) % 4)) if decode is not bytes.fromhex else decode(text)
        except (binascii.Error, ValueError):
            continue
        if len(raw) == 32:
            return raw
    return hashlib.sha256(text.encode()).digest()


def key_from_text(text: str) -> bytes:
    """A master key as written in GATEPOST_MASTER_KEY or a key file (base64, hex, or any text: hashed)."""
    return _decode(text)


def _read_or_create(path: Path) -> bytes:
    try:
        return _decode(path.read_text())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return _decode(path.read_text())
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(key).decode() + "\n")
    log.info("iam.master_key_created path=%s", path)
    return key


class SecretBox:
    """Seals and unseals secrets. The key file is read (or created) when a secret is first sealed or
    unsealed, so merely loading a config (`gatepost check`) writes nothing."""

    def __init__(self, key: bytes | None = None, key_file: Path | None = None) -> None:
        self._key_file = key_file
        self._aead_obj = AESGCM(key) if key is not None else None

    @property
    def _aead(self) -> AESGCM:
        if self._aead_obj is None:
            assert self._key_file is not None
            if self._key_file.exists() and self._key_file.stat().st_mode & 0o077:
                log.warning("iam.master_key_permissions path=%s hint='chmod 600'", self._key_file)
            self._aead_obj = AESGCM(_read_or_create(self._key_file))
        return self._aead_obj

    @classmethod
    def open(cls, key_file: Path) -> SecretBox:
        env = os.environ.get(ENV_VAR)
        if env:
            return cls(_decode(env))
        return cls(key_file=key_file)

    @classmethod
    def for_catalog(cls, catalog: Catalog, config_dir: Path) -> SecretBox:
        if getattr(catalog, "shared", False) and not os.environ.get(ENV_VAR):
            # instances on other machines would each make their own key and not read each other's secrets
            log.warning("iam.master_key_local: the catalog is shared by instances; set %s to the same key on "
                        "every instance (a key file is per machine)", ENV_VAR)
        return cls.open(key_file_for(catalog, config_dir))

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def unseal(self, token: str, context: str) -> str:
        if not token.startswith(_PREFIX):
            raise SecretError("unknown secret format")
        try:
            raw = base64.b64decode(token[len(_PREFIX):])
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise SecretError("cannot decrypt a stored secret: wrong master key?") from None
