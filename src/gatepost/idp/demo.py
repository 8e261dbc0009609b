"""The first-start hook for examples: for every pool with a `demo_user`, create (once) that user with a
random password and print, ready to paste, how to sign in and call the routes that trust the pool (one the
user's groups allow, one they do not). The password is shown only once: a later start says how to set a
new one."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

import orjson

from gatepost.command import command_name
from gatepost.idp.errors import IdpError
from gatepost.idp.local import local_core
from gatepost.idp.passwords import generate_password
from gatepost.idp.pool import IDP_PREFIX, Pool, default_base_url
from gatepost.stores.url import open_catalog

_PARAM = re.compile(r"\{[^}]+\}")


def pool_routes(config: Any, pool_name: str) -> list[tuple[str, str, list[str]]]:
    """(method, path, groups) of scoped routes whose authorizer is `builtin: pool_name` (access tokens work)."""
    out = []
    for api in config.apis.values():
        names = {n for n, a in api.authorizers.items() if getattr(a, "builtin", None) == pool_name}
        for route in api.routes:
            if route.authorizer in names and route.scopes and " " in route.route:
                method, path = route.route.split(" ", 1)
                out.append((method.upper(), _PARAM.sub("demo", path), list(route.groups or [])))
    return out


def _lines(config: Any, config_dir: Path, pool: Pool, username: str, groups: list[str], password: str) -> list[str]:
    base = default_base_url(config.server.host, config.server.port)
    client = next(iter(pool.clients.values()))
    body = orjson.dumps({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client.client_id,
                         "AuthParameters": {"USERNAME": username, "PASSWORD": password}}).decode()
    cfg = shlex.quote(str(config_dir / "gatepost.yaml"))
    lines = [f"gatepost: created demo user {username!r} (groups: {', '.join(groups) or 'none'}) in the built-in "
             f"user pool {pool.name!r} ({pool.pool_id}). The password is shown only this once:",
             f"  password: {password}",
             "  get an access token:",
             f"    TOKEN=$({command_name()} users token {username} --pool {pool.name} --print access --config {cfg} "
             f"--password {shlex.quote(password)})",
             f"    or: curl -s {base}{IDP_PREFIX} -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' "
             f"-H 'Content-Type: application/x-amz-json-1.1' -d {shlex.quote(body)}",
             f"    or boto3: boto3.client('cognito-idp', endpoint_url='{base}{IDP_PREFIX}', region_name="
             f"'{pool.region}').initiate_auth(...)"]
    for method, path, needs in pool_routes(config, pool.name):
        allowed = not needs or bool(set(needs) & set(groups))
        note = "200" if allowed else f"403: groups {', '.join(needs)} only"
        lines.append(f"  {method} {path} ({note}): curl -X {method} -H \"Authorization: Bearer $TOKEN\" {base}{path}")
    return lines


def create_demo_users(config: Any, config_dir: Path) -> None:
    wanted = [(name, cfg.demo_user) for name, cfg in config.user_pools.items() if cfg.demo_user is not None]
    if not wanted:
        return
    catalog = open_catalog(config.state.catalog, config_dir)
    try:
        core = local_core(config, catalog, config_dir)
        core.ensure()
        for name, demo in wanted:
            pool = core.pools[name]
            if core.users.get(pool, demo.username) is not None:
                print(f"gatepost: demo user {demo.username!r} of the built-in pool {name!r} exists (its password "
                      "was shown at the first start). To sign in again, give it a password you choose:\n"
                      f"  {command_name()} users set-password {demo.username} --pool {name} --password-stdin "
                      f"--config {shlex.quote(str(config_dir / 'gatepost.yaml'))}", flush=True)
                continue
            password = generate_password(pool.config.password_policy)
            try:
                now = time.time()
                core.users.create(pool, demo.username, demo.attributes, now=now, password=password)
                for group in demo.groups:
                    core.users.add_to_group(pool, demo.username, group, now=now)
            except IdpError as exc:
                print(f"gatepost: demo user {demo.username!r} not created: {exc.message}", flush=True)
                continue
            print("\n".join(_lines(config, config_dir, pool, demo.username, demo.groups, password)), flush=True)
    finally:
        catalog.close()
