"""The payments example's first start: a demo user of the built-in pool, printed once with commands that work
(a token, GET /me 200, GET /me/admin 403)."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import requests

from gatepost.config.load import load_file
from gatepost.demo import STARTUP_HOOKS
from gatepost.idp.demo import create_demo_users
from gatepost.stores.sqlite import SqliteCatalog
from support import REPO, Upstream, run_gateway


def test_demo_user_is_created_once_and_the_printed_commands_work(tmp_path: Path, master_key: bytes,
                                                                 upstream: Upstream,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert create_demo_users in STARTUP_HOOKS
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples" / "payments", example, ignore=shutil.ignore_patterns(".gatepost", "__pycache__"))
    config, _ = load_file(example / "gatepost.yaml")
    create_demo_users(config, example)
    out = capsys.readouterr().out
    assert "created demo user 'alice' (groups: customers)" in out and "shown only this once" in out
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if line.strip().startswith("password:"))
    curl = next(line for line in out.splitlines() if "or: curl" in line)
    body = shlex.split(curl)[-1]  # the JSON body of the printed InitiateAuth call
    assert "GET /me (200)" in out and "GET /me/admin (403: groups admins only)" in out
    create_demo_users(config, example)  # later starts: nothing new, how to sign in again
    again = capsys.readouterr().out
    assert "shown only this once" not in again and "demo user 'alice' of the built-in pool 'mobile' exists" in again
    assert "users set-password alice --pool mobile --password-stdin --config" in again
    text = (example / "gatepost.yaml").read_text().replace("http://127.0.0.1:9000", upstream.url)
    catalog = SqliteCatalog(example / ".gatepost" / "payments.db")
    try:
        with run_gateway(text, catalog=catalog, config_dir=example) as gw:
            r = requests.post(gw.url + "/_gatepost/idp", data=body, timeout=10, headers={
                "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                "Content-Type": "application/x-amz-json-1.1"})
            assert r.status_code == 200, r.text
            token = r.json()["AuthenticationResult"]["AccessToken"]
            assert gw.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert gw.get("/me/admin", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    finally:
        catalog.close()
    assert password in body
