"""What the bench calls for a SigV4 scenario: mint a caller allowed on a route, then sign requests.

    from gatepost.iam.bench import mint_caller, signed_headers
    key = mint_caller(catalog, config_dir, account_id="123456789012",
                      resource="arn:aws:execute-api:us-east-1:123456789012:payments/prod/POST/internal/refresh")
    headers = signed_headers(key, "POST", "http://127.0.0.1:8080/internal/refresh", region="us-east-1")

The gateway picks the new key up within a second (catalog watcher). Signed headers stay valid for
5 minutes; re-sign per request to include signing cost on the client, or once per run for wrk.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.model import USERS
from gatepost.sigv4.signer import sign_headers
from gatepost.stores.base import Catalog


def mint_caller(catalog: Catalog, config_dir: Path, *, account_id: str, resource: str,
                name: str | None = None) -> IssuedKey:
    admin = IamAdmin.open(catalog, config_dir)
    user = name or f"bench-{secrets.token_hex(4)}"
    admin.create_user(user, account_id, now=time.time())
    admin.attach_policy(USERS, user, account_id, "bench-invoke", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]})
    return admin.create_access_key(user, account_id, now=time.time())


def signed_headers(key: IssuedKey, method: str, url: str, *, region: str, body: bytes = b"",
                   headers: dict[str, str] | None = None) -> dict[str, str]:
    return sign_headers(method, url, access_key=key.access_key_id, secret_key=key.secret_access_key, region=region,
                        body=body, headers=headers, session_token=key.session_token)
