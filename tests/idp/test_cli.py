"""`gatepost pools ...` and `gatepost users ...` on a real SQLite catalog; tokens from `users token` work on
a running gateway's route."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from idp_kit import config

from gatepost.cli import main
from gatepost.stores.sqlite import SqliteCatalog
from support import Upstream, run_gateway


@pytest.fixture
def cfg(tmp_path: Path, master_key: bytes, upstream: Upstream) -> Path:
    path = tmp_path / "gatepost.yaml"
    path.write_text(f'state: {{catalog: "sqlite:///{tmp_path}/idp.db"}}\n' + config(upstream.url))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", [["pools"], ["pools", "create"], ["pools", "rotate-keys"], ["pools", "show"],
                                  ["pools", "client-secret"], ["users"], ["users", "create"],
                                  ["users", "add-to-group"], ["users", "remove-from-group"], ["users", "set-password"],
                                  ["users", "token"], ["users", "list"]])
def test_every_verb_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: gatepost " + " ".join(argv) in capsys.readouterr().out


def test_pools_create_shows_new_client_secrets_once(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pools", "create", "mobile", "--config", str(cfg))
    assert code == 0 and "us-east-1_TestPool1" in out and "testappclient000000000001 (public)" in out
    secret = next(line.rsplit(": ", 1)[1] for line in out.splitlines() if "client secret of job" in line)
    code, again, _ = run(capsys, "pools", "create", "mobile", "--config", str(cfg))
    assert code == 0 and "client secret of" not in again and secret not in again
    code, shown, _ = run(capsys, "pools", "client-secret", "mobile", "job", "--config", str(cfg))
    assert code == 0 and shown.strip() == secret
    code, info, _ = run(capsys, "pools", "show", "--json", "--config", str(cfg))
    shown_info = json.loads(info)
    assert shown_info["issuer"] == "http://gatepost.test/_gatepost/idp/us-east-1_TestPool1" and secret not in info
    assert len(shown_info["keys"]) == 1 and shown_info["keys"][0]["current"]
    code, _, err = run(capsys, "pools", "create", "nope", "--config", str(cfg))
    assert code == 1 and "no user pool 'nope'" in err


def test_users_lifecycle_and_a_token_a_route_accepts(cfg: Path, upstream: Upstream, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["--config", str(cfg)]
    code, out, _ = run(capsys, "users", "create", "alice", "--password-stdin", "--group", "admins",
                       "--attribute", "email=alice@example.com", *base, stdin="Good-Pass-123\n",
                       monkeypatch=monkeypatch)
    assert code == 0 and "CONFIRMED" in out and "admins" in out and "Good-Pass-123" not in out
    code, out, _ = run(capsys, "users", "create", "bob", *base)
    assert code == 0 and "FORCE_CHANGE_PASSWORD" in out and "temporary password" in out
    code, _, err = run(capsys, "users", "token", "bob", f"--password={out.rsplit(': ', 1)[1].strip()}", *base)
    assert code == 1 and "NEW_PASSWORD_REQUIRED" in err
    assert run(capsys, "users", "set-password", "bob", "--password", "Bobs-Pass-123", *base)[0] == 0
    assert run(capsys, "users", "add-to-group", "bob", "support", *base)[0] == 0
    code, out, _ = run(capsys, "users", "list", "--json", *base)
    users = {u["username"]: u for u in json.loads(out)}
    assert users["bob"]["groups"] == ["support"] and users["bob"]["status"] == "CONFIRMED"
    assert "password" not in out and "$argon2" not in out
    code, _, err = run(capsys, "users", "token", "alice", "--password", "Wrong-Pass-1", *base)
    assert code == 1 and "Incorrect username or password." in err
    code, token, _ = run(capsys, "users", "token", "alice", "--print", "access", "--password-stdin", *base,
                         stdin="Good-Pass-123\n",
                         monkeypatch=monkeypatch)
    assert code == 0
    code, out, _ = run(capsys, "users", "token", "bob", "--password", "Bobs-Pass-123", *base)
    assert code == 0 and {"AccessToken", "IdToken", "RefreshToken"} <= set(json.loads(out))
    catalog = SqliteCatalog(tmp_path / "idp.db")
    try:
        with run_gateway(cfg.read_text(), catalog=catalog) as gw:
            r = gw.get("/admin", headers={"Authorization": f"Bearer {token.strip()}"})
            assert r.status_code == 200, r.text
            bob = json.loads(out)["AccessToken"]
            assert gw.get("/admin", headers={"Authorization": f"Bearer {bob}"}).status_code == 403
    finally:
        catalog.close()
    code, _, err = run(capsys, "users", "add-to-group", "bob", "nope", *base)
    assert code == 1 and "Group not found" in err
