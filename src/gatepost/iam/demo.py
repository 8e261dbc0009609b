"""The first-start hook for examples: for every `type: iam` authorizer with `demo: true`, create (once) a
demo user with an access key and a demo role, both allowed to invoke that authorizer's routes, and print
the user's credentials and how to sign a request with curl and botocore. A later start says how to get
credentials again (the role's temporary ones, or a new key)."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

from gatepost.command import command_name
from gatepost.iam.admin import IamAdmin, IamAdminError
from gatepost.iam.model import ROLES, USERS, principal_key
from gatepost.stores.url import open_catalog

DEMO_USER = "gatepost-demo"
_PARAM = re.compile(r"\{[^}]+\}")


def route_resources(api: Any, api_id: str, stage: str, authorizer: str) -> list[tuple[str, str, str]]:
    """(method, path, resource ARN) of every route of `api` using `authorizer`."""
    out = []
    prefix = f"arn:aws:execute-api:{api.region}:{api.account_id}:{api_id}/{stage}/"
    for route in api.routes:
        if route.authorizer != authorizer or " " not in route.route:
            continue
        method, path = route.route.split(" ", 1)
        arn_method = "*" if method.upper() == "ANY" else method.upper()
        out.append((method.upper(), path, prefix + arn_method + "/" + _PARAM.sub("*", path).lstrip("/")))
    return out


def _print(config: Any, key_id: str, secret: str, role: str, routes: list[tuple[str, str, str]], region: str,
           config_dir: Path) -> None:
    method, path, _ = routes[0]
    url = f"http://{config.server.host}:{config.server.port}{_PARAM.sub('demo', path)}"
    print(f"gatepost: created IAM user {DEMO_USER!r} and role {role!r}, allowed to invoke "
          f"{', '.join(f'{m} {p}' for m, p, _ in routes)}. The secret is shown only this once:\n"
          f"  export AWS_ACCESS_KEY_ID={key_id}\n"
          f"  export AWS_SECRET_ACCESS_KEY={secret}\n"
          f"  curl:     curl --aws-sigv4 \"aws:amz:{region}:execute-api\" --user \"$AWS_ACCESS_KEY_ID:"
          f"$AWS_SECRET_ACCESS_KEY\" -X {method} {url}\n"
          f"  botocore: python -c 'import botocore.session as s, botocore.auth as a, botocore.awsrequest as w, "
          f"requests; r=w.AWSRequest(method=\"{method}\", url=\"{url}\"); "
          f"a.SigV4Auth(s.get_session().get_credentials(), \"execute-api\", \"{region}\").add_auth(r); "
          f"print(requests.request(r.method, r.url, headers=dict(r.headers)).text)'\n"
          f"  temporary credentials for the role: {command_name()} iam assume-role {role} --session-name me "
          f"--format env --config {config_dir / 'gatepost.yaml'}", flush=True)


def _print_again(role: str, config_dir: Path) -> None:
    """A later start: the secret is not kept in the clear, so say how to get credentials again."""
    config = shlex.quote(str(config_dir / "gatepost.yaml"))
    print(f"gatepost: demo IAM user {DEMO_USER!r} and role {role!r} exist (the secret was shown at the first "
          "start). Credentials again, temporary ones for the role:\n"
          f"  eval \"$({command_name()} iam assume-role {role} --session-name me --format env --config {config})\"\n"
          "  (then sign with -H \"x-amz-security-token: $AWS_SESSION_TOKEN\"), or a new key for the user:\n"
          f"  {command_name()} iam create-access-key {DEMO_USER} --format env --config {config}", flush=True)


def create_demo_principals(config: Any, config_dir: Path) -> None:
    from gatepost.config.compile import api_info

    wanted = [(name, api, auth_name) for name, api in config.apis.items()
              for auth_name, auth in api.authorizers.items()
              if getattr(auth, "type", None) == "iam" and getattr(auth, "demo", False)]
    if not wanted:
        return
    catalog = open_catalog(config.state.catalog, config_dir)
    try:
        admin = IamAdmin.open(catalog, config_dir)
        for api_name, api, auth_name in wanted:
            info = api_info(api_name, api)
            routes = route_resources(api, info.api_id, info.stage, auth_name)
            if not routes:
                continue
            role = f"gatepost-demo-{auth_name}"
            if catalog.get(USERS, principal_key(api.account_id, DEMO_USER)) is not None:
                _print_again(role, config_dir)
                continue
            document = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [arn for _, _, arn in routes]}]}
            try:
                now = time.time()
                admin.create_user(DEMO_USER, api.account_id, now=now)
                admin.attach_policy(USERS, DEMO_USER, api.account_id, f"invoke-{auth_name}", document)
                if catalog.get(ROLES, principal_key(api.account_id, role)) is None:
                    admin.create_role(role, api.account_id, now=now)
                    admin.attach_policy(ROLES, role, api.account_id, f"invoke-{auth_name}", document)
                issued = admin.create_access_key(DEMO_USER, api.account_id, now=now)
            except IamAdminError as exc:
                print(f"gatepost: demo IAM principals not created: {exc}", flush=True)
                continue
            _print(config, issued.access_key_id, issued.secret_access_key, role, routes, info.region, config_dir)
    finally:
        catalog.close()
