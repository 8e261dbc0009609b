"""Identifiers and secrets in AWS's shapes: AKIA/ASIA key ids, AIDA/AROA principal ids, 40-char secrets."""

from __future__ import annotations

import base64
import secrets

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _upper(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def access_key_id(temporary: bool = False) -> str:
    return ("ASIA" if temporary else "AKIA") + _upper(16)


def user_id() -> str:
    return "AIDA" + _upper(17)


def role_id() -> str:
    return "AROA" + _upper(17)


def secret_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode()  # 40 characters


def session_token() -> str:
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(96)).decode()
