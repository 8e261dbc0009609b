"""Calling a running gateway's admin API (`--admin URL`): one operation, one HTTP request.

Credentials: a bearer token from the environment variable named by --admin-token-env (GATEPOST_ADMIN_TOKEN
by default) when it is set; otherwise SigV4 (service `gatepost`) with an IAM principal's access key, from
the --admin-profile section of ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE) or from AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from gatepost.admin.operation import Operation, OperationError, Params
from gatepost.sigv4.signer import sign_headers

TIMEOUT = 30.0


def add_admin_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--admin", metavar="URL", default=os.environ.get("GATEPOST_ADMIN_URL") or None,
                   help="act through this running gateway's admin API (e.g. http://127.0.0.1:9901) instead of on "
                        "the catalog of --config (default: $GATEPOST_ADMIN_URL)")
    p.add_argument("--admin-token-env", metavar="VAR", default="GATEPOST_ADMIN_TOKEN",
                   help="with --admin: the environment variable holding the admin bearer token (default "
                        "GATEPOST_ADMIN_TOKEN); when it is unset, requests are SigV4-signed")
    p.add_argument("--admin-profile", metavar="NAME",
                   help="with --admin: sign with this profile's keys in ~/.aws/credentials (default: the "
                        "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN variables)")
    p.add_argument("--admin-region", metavar="REGION",
                   default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
                   help="with --admin: the region to sign for (the gateway's admin.region; default $AWS_REGION "
                        "or us-east-1)")


def request_of(base: str, op: Operation, params: Params) -> tuple[str, bytes]:
    """The URL and body of one operation with these parameters (None values are left out)."""
    given = {k: v for k, v in params.items() if v is not None}
    path = op.path
    for name in op.path_names:
        path = path.replace("{" + name + "}", quote(str(given.pop(name)), safe=""))
    url = base.rstrip("/") + path
    if op.method in ("GET", "DELETE"):
        return (url + "?" + urlencode(given) if given else url), b""
    return url, json.dumps(given).encode()


def _credentials(args: argparse.Namespace) -> tuple[str, str, str | None]:
    if args.admin_profile:
        path = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials")
        parser = configparser.ConfigParser()
        parser.read(path)
        if not parser.has_section(args.admin_profile):
            raise OperationError(0, f"no profile {args.admin_profile!r} in {path}")
        section = parser[args.admin_profile]
        try:
            return section["aws_access_key_id"], section["aws_secret_access_key"], \
                section.get("aws_session_token")
        except KeyError as missing:
            raise OperationError(0, f"profile {args.admin_profile!r} in {path} has no {missing}") from None
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise OperationError(0, f"no admin credentials: set ${args.admin_token_env} (bearer token), or "
                                "--admin-profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (SigV4)")
    return key, secret, os.environ.get("AWS_SESSION_TOKEN") or None


def _headers(args: argparse.Namespace, method: str, url: str, body: bytes) -> dict[str, str]:
    headers = {"content-type": "application/json"} if body else {}
    token = os.environ.get(args.admin_token_env)
    if token:
        return {**headers, "authorization": f"Bearer {token}"}
    key, secret, session = _credentials(args)
    return sign_headers(method, url, access_key=key, secret_key=secret, region=args.admin_region,
                        service="gatepost", body=body, headers=headers, session_token=session)


def call(args: argparse.Namespace, op: Operation, params: Params) -> Any:
    """The operation's answer, or OperationError with the admin API's status and message."""
    url, body = request_of(args.admin, op, params)
    req = urllib.request.Request(url, data=body if op.method not in ("GET", "DELETE") else None,
                                 method=op.method, headers=_headers(args, op.method, url, body))
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            message = json.loads(raw)["message"]
        except (ValueError, KeyError, TypeError):
            message = raw.decode(errors="replace")[:200] or err.reason
        raise OperationError(err.code, f"{message} (admin API: HTTP {err.code})" if err.code in (401, 403)
                             else str(message)) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise OperationError(0, f"cannot reach the admin API at {args.admin} ({reason})") from None
