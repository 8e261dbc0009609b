"""Passwords: argon2id hashes (argon2-cffi) and the pool's password policy, with Cognito's messages.

`verify_or_burn` costs one argon2 verification whether or not the user exists (a dummy hash stands in
for a missing user), so a wrong password and an unknown user take the same time.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gatepost.idp.config import HashingConfig, PasswordPolicyConfig
from gatepost.idp.errors import invalid_password

SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"


class Passwords:
    def __init__(self, hashing: HashingConfig) -> None:
        self.hasher = PasswordHasher(time_cost=hashing.time_cost, memory_cost=hashing.memory_kib,
                                     parallelism=hashing.parallelism, type=Type.ID)
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_or_burn(self, stored: str | None, password: str) -> bool:
        """The same work for a missing user (stored None) as for a wrong password; False for the former."""
        if stored is None:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
            self.verify(self._dummy, password)
            return False
        return self.verify(stored, password)


def check_policy(password: str, policy: PasswordPolicyConfig) -> None:
    """Raises InvalidPasswordException naming the first rule the password breaks (Cognito's wording)."""
    prefix = "Password did not conform with policy: "
    if len(password) < policy.min_length:
        raise invalid_password(prefix + "Password not long enough")
    if len(password) > 256:
        raise invalid_password(prefix + "Password is too long")
    if policy.require_lowercase and not any(c.islower() for c in password):
        raise invalid_password(prefix + "Password must have lowercase characters")
    if policy.require_uppercase and not any(c.isupper() for c in password):
        raise invalid_password(prefix + "Password must have uppercase characters")
    if policy.require_numbers and not any(c.isdigit() for c in password):
        raise invalid_password(prefix + "Password must have numeric characters")
    if policy.require_symbols and not any(c in SYMBOLS or c == " " for c in password):
        raise invalid_password(prefix + "Password must have symbol characters")


def generate_password(policy: PasswordPolicyConfig) -> str:
    """A random password that satisfies `policy` (temporary passwords, demo users)."""
    alphabet = string.ascii_letters + string.digits
    body = [secrets.choice(alphabet) for _ in range(max(policy.min_length, 16) - 4)]
    body += [secrets.choice(string.ascii_lowercase), secrets.choice(string.ascii_uppercase),
             secrets.choice(string.digits), secrets.choice("!#%+-=@_")]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)
