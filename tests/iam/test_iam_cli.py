"""`gatepost iam ...` on a real SQLite catalog, the master key file, and the example's first-start hook."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from iam_signing import botocore_send

from gatepost.clock import ManualClock
from gatepost.iam.admin import IssuedKey
from gatepost.stores.sqlite import SqliteCatalog
from support import REPO, Upstream, catalog_caught_up, run_cli, run_gateway

CONFIG = """
state:
  catalog: sqlite:///.gatepost/gatepost.db
apis:
  api:
    api_id: abc123
    stage: prod
    account_id: "123456789012"
    authorizers:
      sig: {{type: iam}}
    routes:
      - {{route: "ANY /{{proxy+}}", authorizer: sig}}
    integration: {{http: "{upstream}"}}
"""


def gatepost(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gatepost iam ARGS` in a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "GATEPOST_MASTER_KEY"}
    return subprocess.run([sys.executable, "-m", "gatepost", "iam", *args, "--config", str(tmp / "gatepost.yaml")],
                          capture_output=True, text=True, env=env, timeout=120)


def cli(tmp: Path, *args: str) -> tuple[int, str, str]:
    """The same verb in this process (exit code, stdout, stderr): a lifecycle of a dozen verbs spent most of
    its time starting Python processes, minutes on a loaded machine."""
    return run_cli("iam", *args, "--config", str(tmp / "gatepost.yaml"))


def ok(tmp: Path, *args: str) -> str:
    code, out, err = cli(tmp, *args)
    assert code == 0, err
    return out


def test_cli_lifecycle_with_running_gateway(tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("GATEPOST_MASTER_KEY", raising=False)
    text = CONFIG.format(upstream=upstream.url)
    (tmp_path / "gatepost.yaml").write_text(text)
    first = gatepost(tmp_path, "create-user", "carol", "--tag", "team=ops")  # a real process makes the key file
    assert first.returncode == 0, first.stderr
    (tmp_path / "p.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:abc123/*"}]}))
    ok(tmp_path, "attach-policy", "--user", "carol", "--policy-name", "invoke", "--file", str(tmp_path / "p.json"))
    created = json.loads(ok(tmp_path, "create-access-key", "carol", "--format", "json"))
    key = IssuedKey(created["AccessKeyId"], created["SecretAccessKey"])
    key_file = tmp_path / ".gatepost" / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    db = (tmp_path / ".gatepost" / "gatepost.db").read_bytes()
    assert key.secret_access_key.encode() not in db
    listing = ok(tmp_path, "list", "--json")
    assert key.access_key_id in listing and key.secret_access_key not in listing
    assert "arn:aws:iam::123456789012:user/carol" in listing

    bad = gatepost(tmp_path, "attach-policy", "--user", "carol", "--policy-name", "x", "--file", str(key_file))
    assert bad.returncode == 1 and "gatepost iam attach-policy" in bad.stderr and "Traceback" not in bad.stderr
    assert cli(tmp_path, "create-access-key", "nobody")[0] == 1

    catalog = SqliteCatalog(tmp_path / ".gatepost" / "gatepost.db")
    with run_gateway(text, catalog=catalog, config_dir=tmp_path, clock=ManualClock(time.time())) as gw:
        assert botocore_send(key, "GET", gw.url + "/x").status_code == 200
        ok(tmp_path, "disable-access-key", key.access_key_id)
        catalog_caught_up(gw)  # the running gateway follows the catalog: its next poll drops the key
        refused = botocore_send(key, "GET", gw.url + "/x")
        assert refused.status_code == 403, refused.text
        rotated = json.loads(ok(tmp_path, "rotate-access-key", "carol", "--format", "json"))
        new_key = IssuedKey(rotated["AccessKeyId"], rotated["SecretAccessKey"])
        ok(tmp_path, "create-role", "Ops")
        ok(tmp_path, "attach-policy", "--role", "Ops", "--policy-name", "invoke", "--file", str(tmp_path / "p.json"))
        env = ok(tmp_path, "assume-role", "Ops", "--session-name", "night-shift", "--format", "env")
        found = dict(re.findall(r"export (\w+)=(\S+)", env))
        session = IssuedKey(found["AWS_ACCESS_KEY_ID"], found["AWS_SECRET_ACCESS_KEY"], found["AWS_SESSION_TOKEN"])
        catalog_caught_up(gw)  # the role, its policy and the session, as the watcher reloads them
        assert botocore_send(session, "GET", gw.url + "/x").status_code == 200
        r = botocore_send(new_key, "GET", gw.url + "/x")
        assert r.status_code == 200
        assert json.loads(r.text)["headers"]["x-gatepost-caller-arn"] == "arn:aws:iam::123456789012:user/carol"
    for secret in (key.secret_access_key, new_key.secret_access_key, session.secret_access_key,
                   session.session_token):
        assert secret and secret not in caplog.text


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from gatepost.cli import main

    verbs = ["create-user", "create-role", "attach-policy", "detach-policy", "create-access-key",
             "rotate-access-key", "disable-access-key", "enable-access-key", "delete-access-key", "assume-role", "list"]
    for verb in [None, *verbs]:
        with pytest.raises(SystemExit) as exited:
            main(["iam", *([verb] if verb else []), "--help"])
        assert exited.value.code == 0
        assert "usage: gatepost iam" in capsys.readouterr().out


def test_wrong_master_key_fails_closed(tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    text = CONFIG.format(upstream=upstream.url)
    (tmp_path / "gatepost.yaml").write_text(text)
    monkeypatch.delenv("GATEPOST_MASTER_KEY", raising=False)
    ok(tmp_path, "create-user", "dave")
    created = json.loads(ok(tmp_path, "create-access-key", "dave", "--format", "json"))
    monkeypatch.setenv("GATEPOST_MASTER_KEY", "another-deployment")
    key = IssuedKey(created["AccessKeyId"], created["SecretAccessKey"])
    with run_gateway(text, catalog=SqliteCatalog(tmp_path / ".gatepost" / "gatepost.db"), config_dir=tmp_path) as gw:
        r = botocore_send(key, "GET", gw.url + "/x")
        assert r.json() == {"message": "The security token included in the request is invalid."}


def test_example_first_start_creates_demo_principals(tmp_path: Path, upstream: Upstream,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GATEPOST_MASTER_KEY", raising=False)
    example = tmp_path / "payments"
    shutil.copytree(REPO / "examples" / "payments", example, ignore=shutil.ignore_patterns(".gatepost"))
    from gatepost.config.load import load_file
    from gatepost.iam.demo import create_demo_principals

    config, _ = load_file(example / "gatepost.yaml")
    create_demo_principals(config, example)
    printed = capsys.readouterr().out
    found = dict(re.findall(r"export (\w+)=(\S+)", printed))
    assert "curl --aws-sigv4" in printed and "botocore" in printed and "assume-role gatepost-demo-internal" in printed
    create_demo_principals(config, example)  # a later start: nothing new, how to get credentials again
    again = capsys.readouterr().out
    assert "shown only this once" not in again and "exist (the secret was shown at the first start)" in again
    assert "iam assume-role gatepost-demo-internal --session-name me --format env --config" in again
    assert "iam create-access-key gatepost-demo --format env --config" in again
    key = IssuedKey(found["AWS_ACCESS_KEY_ID"], found["AWS_SECRET_ACCESS_KEY"])
    text = (example / "gatepost.yaml").read_text().replace("http://127.0.0.1:9000", upstream.url)
    text = re.sub(r"sidecars:\n(  .*\n|    .*\n)+", "", text)
    catalog = SqliteCatalog(example / ".gatepost" / "payments.db")
    with run_gateway(text, catalog=catalog, config_dir=example) as gw:
        r: Any = botocore_send(key, "POST", gw.url + "/internal/refresh")
        assert r.status_code == 200, r.text
        assert botocore_send(key, "POST", gw.url + "/b2b/settlements").status_code in (401, 403)
        assert requests.post(gw.url + "/internal/refresh", timeout=10).status_code == 403
        if shutil.which("curl"):
            out = subprocess.run(["curl", "-s", "-w", "%{http_code}", "-o", "/dev/null", "--aws-sigv4",
                                  "aws:amz:us-east-1:execute-api", "--user", f"{key.access_key_id}:"
                                  f"{key.secret_access_key}", "-X", "POST", gw.url + "/internal/refresh"],
                                 capture_output=True, text=True, timeout=20)
            assert out.stdout == "200"
