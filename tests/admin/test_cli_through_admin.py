"""`gatepost ... --admin URL` against a real `gatepost serve`: the same output as on the catalog
directly, refusals with the same messages, a bearer token or SigV4 with an IAM principal's keys, and
the gateway following what was changed through the admin API."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from admin_kit import MASTER, TOKEN, sigv4

from gatepost.cli import main
from support import free_port, serve_process, wait_http

CONFIG = """
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///gp.db"}}
admin: {{enabled: true, port: {admin_port}}}
user_pools:
  mobile:
    public_url: http://gatepost.test
    hashing: {{time_cost: 1, memory_kib: 8192, parallelism: 1}}
    clients: {{app: {{}}, srv: {{generate_secret: true}}}}
    groups: {{admins: {{precedence: 1}}}}
usage_plans:
  gold: {{api_stages: [{{api: shop}}], throttle: {{rate: 100, burst: 100}}, quota: {{limit: 50, period: DAY}}}}
apis:
  shop:
    routes:
      - {{route: "GET /keyed", public: true, api_key_required: true}}
    integration: {{http: "{upstream}"}}
"""


@pytest.fixture
def gateway(tmp_path: Path, upstream, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str, str]]:
    """(config path, gateway URL, admin URL) of a running gateway."""
    admin_port = free_port()
    path = tmp_path / "gatepost.yaml"
    path.write_text(CONFIG.format(admin_port=admin_port, upstream=upstream.url))
    master = base64.b64encode(MASTER).decode()
    monkeypatch.setenv("GATEPOST_MASTER_KEY", master)
    monkeypatch.delenv("GATEPOST_ADMIN_URL", raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    env = {"GATEPOST_ADMIN_TOKEN": TOKEN, "GATEPOST_MASTER_KEY": master}
    with serve_process(path, env=env, stdout=subprocess.DEVNULL) as (_, port):
        gw, admin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin_port}"
        wait_http(gw + "/_gatepost/health", timeout=60)
        wait_http(admin + "/healthz", timeout=60)
        yield path, gw, admin


def gp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def keyed(gw: str, value: str) -> set[int]:
    """The statuses of /keyed over several fresh connections."""
    codes = set()
    for _ in range(6):
        with requests.Session() as fresh:
            codes.add(fresh.get(gw + "/keyed", headers={"x-api-key": value}, timeout=10).status_code)
    return codes


def until(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the gateway did not follow the change"
        time.sleep(0.2)


def test_verbs_through_the_admin_api_match_the_catalog(gateway: tuple[Path, str, str],
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path, gw, admin = gateway
    local, remote = ("--config", str(path)), ("--admin", admin)
    monkeypatch.setenv("GATEPOST_ADMIN_TOKEN", TOKEN)

    code, out, err = gp(capsys, "keys", "create", "acme", "--plan", "gold", *remote)
    assert code == 0 and "shown only now" in err
    value = dict(line.split(":", 1) for line in out.splitlines())["value"].strip()
    until(lambda: keyed(gw, value) == {200})

    for verb in (("keys", "list"), ("keys", "list", "--json"), ("plans", "list"), ("plans", "show", "gold"),
                 ("usage", "acme", "--from", "2026-01-01", "--to", "2026-01-02"),
                 ("keys", "create", "acme"), ("keys", "enable", "nobody"), ("plans", "show", "nope")):
        here, there = gp(capsys, *verb, *local), gp(capsys, *verb, *remote)
        assert here == there, verb
    assert value not in gp(capsys, "keys", "list", "--json", *remote)[1]

    code, out, _ = gp(capsys, "keys", "disable", "acme", *remote)
    assert code == 0 and out.strip().endswith("disabled")
    until(lambda: keyed(gw, value) == {403})

    code, out, _ = gp(capsys, "cache", "flush", "shop", "prod", *remote)
    assert code == 0 and "(flush #1)" in out
    assert "(flush #2)" in gp(capsys, "cache", "flush", "shop", "prod", *local)[1]

    code, out, _ = gp(capsys, "iam", "create-user", "ops", "--tag", "team=a", *remote)
    assert code == 0 and out.startswith("created user arn:aws:iam::")
    code, out, err = gp(capsys, "users", "create", "bob", "--group", "admins", *remote)
    assert code == 0 and "temporary password (shown once" in out and "groups admins" in out
    code, out, _ = gp(capsys, "users", "remove-from-group", "bob", "admins", *remote)
    assert code == 0 and out.strip() == "user bob: groups -"
    for verb in (("iam", "list"), ("iam", "list", "--json"), ("iam", "create-user", "ops"), ("users", "list"),
                 ("users", "add-to-group", "nobody", "admins"), ("pools", "show", "--json"), ("pools", "show")):
        assert gp(capsys, *verb, *local) == gp(capsys, *verb, *remote), verb

    monkeypatch.setenv("GATEPOST_ADMIN_TOKEN", "wrong")
    code, _, err = gp(capsys, "keys", "list", *remote)
    assert code == 1 and "Unauthorized" in err and "401" in err


def test_client_secret_and_sign_in_through_the_admin_api_match_the_catalog(
        gateway: tuple[Path, str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The two verbs that answer with an existing secret: each under its own admin action, same output."""
    path, _, admin = gateway
    local, remote = ("--config", str(path)), ("--admin", admin)
    monkeypatch.setenv("GATEPOST_ADMIN_TOKEN", TOKEN)
    assert gp(capsys, "pools", "create", "mobile", *local)[0] == 0
    code, secret, _ = gp(capsys, "pools", "client-secret", "mobile", "srv", *remote)
    assert code == 0 and len(secret.strip()) >= 32
    assert gp(capsys, "pools", "client-secret", "mobile", "srv", *local) == (0, secret, "")
    for refused in (("mobile", "app"), ("mobile", "nope"), ("nowhere", "srv")):
        here, there = gp(capsys, "pools", "client-secret", *refused, *local), \
            gp(capsys, "pools", "client-secret", *refused, *remote)
        assert here == there and here[0] == 1 and here[2].startswith("gatepost pools: "), refused

    password = "Correct-horse-9-battery"
    assert gp(capsys, "users", "create", "carol", "--password", password, *remote)[0] == 0
    for where in (local, remote):
        code, token, _ = gp(capsys, "users", "token", "carol", "--password", password, "--print", "access", *where)
        assert code == 0 and token.count(".") == 2
        code, out, _ = gp(capsys, "users", "token", "carol", "--password", password, *where)
        assert code == 0 and {"AccessToken", "IdToken", "RefreshToken"} <= set(json.loads(out))
    wrong = ("users", "token", "carol", "--password", "not-it-at-all-1A")
    assert gp(capsys, *wrong, *local) == gp(capsys, *wrong, *remote)
    assert gp(capsys, *wrong, *remote)[0] == 1 and "NotAuthorizedException" in gp(capsys, *wrong, *remote)[2]


def test_sigv4_with_a_principal_of_the_catalog(gateway: tuple[Path, str, str], capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, _, admin = gateway
    local, remote = ("--config", str(path)), ("--admin", admin)
    policy = tmp_path / "admin-policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["gatepost:Get*"],
         "Resource": "arn:aws:gatepost:us-east-1:123456789012:admin"}]}))
    assert gp(capsys, "iam", "create-user", "reader", "--account", "123456789012", *local)[0] == 0
    assert gp(capsys, "iam", "attach-policy", "--user", "reader", "--policy-name", "read", "--file", str(policy),
              "--account", "123456789012", *local)[0] == 0
    code, out, _ = gp(capsys, "iam", "create-access-key", "reader", "--format", "json", "--account", "123456789012",
                      *local)
    keys = json.loads(out)
    monkeypatch.delenv("GATEPOST_ADMIN_TOKEN", raising=False)

    code, _, err = gp(capsys, "plans", "list", *remote)
    assert code == 1 and "no admin credentials" in err

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    answer = gp(capsys, "plans", "list", *remote)
    assert answer == gp(capsys, "plans", "list", *local), answer
    code, _, err = gp(capsys, "keys", "create", "nope", *remote)
    assert code == 1 and "not authorized to perform: gatepost:CreateApiKey" in err

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[gp]\naws_access_key_id = {keys['AccessKeyId']}\n"
                           f"aws_secret_access_key = {keys['SecretAccessKey']}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    code, out, _ = gp(capsys, "keys", "list", "--json", "--admin-profile", "gp", *remote)
    assert code == 0 and out == gp(capsys, "keys", "list", "--json", *local)[1]


IAM_CONFIG = """
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///gp.db"}}
admin: {{enabled: true, port: {admin_port}}}
apis:
  shop:
    authorizers: {{sig: {{type: iam}}}}
    routes:
      - {{route: "GET /private", authorizer: sig}}
    integration: {{http: "{upstream}"}}
"""


def test_every_worker_follows_a_change_made_through_the_admin_api(
        tmp_path: Path, upstream, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    admin_port = free_port()
    path = tmp_path / "gatepost.yaml"
    path.write_text(IAM_CONFIG.format(admin_port=admin_port, upstream=upstream.url))
    policy = tmp_path / "invoke.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}))
    master = base64.b64encode(MASTER).decode()
    monkeypatch.setenv("GATEPOST_MASTER_KEY", master)
    monkeypatch.setenv("GATEPOST_ADMIN_TOKEN", TOKEN)
    env = {"GATEPOST_ADMIN_TOKEN": TOKEN, "GATEPOST_MASTER_KEY": master}
    with serve_process(path, "--workers", "2", env=env, stdout=subprocess.DEVNULL) as (_, port):
        gw, remote = f"http://127.0.0.1:{port}", ("--admin", f"http://127.0.0.1:{admin_port}")
        wait_http(gw + "/_gatepost/health", timeout=60)
        wait_http(f"http://127.0.0.1:{admin_port}/healthz", timeout=60)
        assert gp(capsys, "iam", "create-user", "app", *remote)[0] == 0
        assert gp(capsys, "iam", "attach-policy", "--user", "app", "--policy-name", "invoke", "--file", str(policy),
                  *remote)[0] == 0
        keys = json.loads(gp(capsys, "iam", "create-access-key", "app", "--format", "json", *remote)[1])

        pids: set[int] = set()

        def statuses() -> set[int]:
            codes = set()
            for _ in range(12):
                with requests.Session() as fresh:  # new connections: the kernel spreads them over both workers
                    headers = sigv4(keys["AccessKeyId"], keys["SecretAccessKey"], gw + "/private")
                    codes.add(fresh.get(gw + "/private", headers=headers, timeout=10).status_code)
                    pids.add(fresh.get(gw + "/_gatepost/health", timeout=10).json()["pid"])
            return codes

        until(lambda: statuses() == {200})
        assert gp(capsys, "iam", "disable-access-key", keys["AccessKeyId"], *remote)[0] == 0
        until(lambda: statuses() == {403})
        assert len(pids) == 2  # both workers answered
