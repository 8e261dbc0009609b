"""Catalog collections and document shapes of IAM principals.

- `iam_users`, key `{account}/{name}`: name, account_id, arn, id (AIDA...), path, tags, policies {name: doc}
- `iam_roles`, key `{account}/{name}`: same with id AROA..., max_session_seconds
- `iam_access_keys`, key = access key id: owner_type (user|role), owner key, status (Active|Inactive),
  secret (AES-GCM sealed), and for temporary credentials session_name, session_token_sha256 (hex), expires_at
"""

from __future__ import annotations

USERS = "iam_users"
ROLES = "iam_roles"
KEYS = "iam_access_keys"
COLLECTIONS = (USERS, ROLES, KEYS)
ACTIVE, INACTIVE = "Active", "Inactive"
DEFAULT_ACCOUNT = "123456789012"


def principal_key(account_id: str, name: str) -> str:
    return f"{account_id}/{name}"


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def session_arn(account_id: str, role: str, session: str) -> str:
    return f"arn:aws:sts::{account_id}:assumed-role/{role}/{session}"
