"""Real SigV4 clients for the tests: botocore's SigV4Auth / SigV4QueryAuth and requests-aws4auth."""

from __future__ import annotations

from typing import Any

import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests_aws4auth import AWS4Auth

from gatepost.iam.admin import IssuedKey


def creds(key: IssuedKey) -> Credentials:
    return Credentials(key.access_key_id, key.secret_access_key, key.session_token)


def botocore_headers(key: IssuedKey, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None,
                     region: str = "us-east-1", service: str = "execute-api") -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(creds(key), service, region).add_auth(request)
    return dict(request.headers.items())


def botocore_send(key: IssuedKey, method: str, url: str, body: bytes = b"", **kw: Any) -> requests.Response:
    headers = botocore_headers(key, method, url, body, **kw)
    return requests.request(method, url, data=body, headers=headers, timeout=10)


def presigned_url(key: IssuedKey, method: str, url: str, expires: int = 300) -> str:
    request = AWSRequest(method=method, url=url)
    SigV4QueryAuth(creds(key), "execute-api", "us-east-1", expires=expires).add_auth(request)
    return str(request.url)


def aws4auth(key: IssuedKey) -> AWS4Auth:
    return AWS4Auth(key.access_key_id, key.secret_access_key, "us-east-1", "execute-api",
                    session_token=key.session_token)
