"""`gatepost master-key rotate` on a real SQLite catalog: IAM secret access keys, a built-in pool's client
secret and signing key open with the new key afterwards (and not with the old one), with a key file or with
GATEPOST_MASTER_KEY; a secret that opens with neither key stops it before anything is written; a rotation
that stopped half-way is finished by running it again."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from idp_kit import POOL_ID, config

from gatepost.cli import main
from gatepost.iam.admin import IamAdmin
from gatepost.iam.crypto import SecretBox, key_from_text
from gatepost.iam.directory import build_snapshot
from gatepost.iam.model import KEYS
from gatepost.idp.keys import key_docs, load_ring
from gatepost.master_key import apply, plan
from gatepost.stores.sqlite import SqliteCatalog

ACCOUNT = "123456789012"
OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def setup_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str, str, str]:
    """A config with a built-in pool (its record, client secret and signing key created) and an IAM user's
    access key; returns (config, access key id, its secret, the pool client's secret)."""
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f'state: {{catalog: "sqlite:///{tmp_path}/gp.db"}}\n' + config("http://127.0.0.1:9"))
    assert main(["pools", "create", "mobile", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    client_secret = next(line.rsplit(": ", 1)[1] for line in out.splitlines() if "client secret of job" in line)
    catalog = SqliteCatalog(tmp_path / "gp.db")
    try:
        iam = IamAdmin.open(catalog, tmp_path)
        iam.create_user("bob", ACCOUNT)
        issued = iam.create_access_key("bob", ACCOUNT)
    finally:
        catalog.close()
    return cfg, issued.access_key_id, issued.secret_access_key, client_secret


def opens_with(tmp_path: Path, key: bytes, access_key_id: str) -> tuple[str | None, str | None]:
    """(the access key's secret, the pool's current signing kid), as a gateway holding `key` would read them."""
    catalog = SqliteCatalog(tmp_path / "gp.db")
    try:
        box = SecretBox(key)
        credential = build_snapshot(catalog, box).get(access_key_id)
        return (credential.secret if credential else None), load_ring(catalog, POOL_ID, box, 3600).kid
    finally:
        catalog.close()


def test_rotate_with_a_key_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEPOST_MASTER_KEY", raising=False)
    monkeypatch.delenv("GATEPOST_NEW_MASTER_KEY", raising=False)
    cfg, key_id, secret, client_secret = setup_catalog(tmp_path, capsys)
    key_file = tmp_path / "master.key"
    old = key_from_text(key_file.read_text())
    catalog = SqliteCatalog(tmp_path / "gp.db")
    kid = key_docs(catalog, POOL_ID)[0]["kid"]
    catalog.close()
    assert opens_with(tmp_path, old, key_id) == (secret, kid)

    assert main(["master-key", "rotate", "--dry-run", "--config", str(cfg)]) == 0
    assert "would re-seal 4 secret(s)" in capsys.readouterr().out
    assert key_from_text(key_file.read_text()) == old  # a dry run writes nothing

    assert main(["master-key", "rotate", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "re-sealed 4 secret(s) (iam_access_keys 1, idp_keys 1, idp_pools 2)" in out
    new = key_from_text(key_file.read_text())
    assert new != old and key_from_text((tmp_path / "master.key.previous").read_text()) == old
    assert not (tmp_path / "master.key.next").exists() and key_file.stat().st_mode & 0o777 == 0o600
    assert opens_with(tmp_path, new, key_id) == (secret, kid)
    assert opens_with(tmp_path, old, key_id) == (None, None)  # the old key opens nothing any more
    assert main(["pools", "client-secret", "mobile", "job", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out.strip() == client_secret
    assert secret not in out and client_secret not in out


def test_rotate_with_the_environment_refuses_unreadable_secrets_and_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_MASTER_KEY", OLD)
    monkeypatch.delenv("GATEPOST_NEW_MASTER_KEY", raising=False)
    cfg, key_id, secret, _ = setup_catalog(tmp_path, capsys)
    assert main(["master-key", "rotate", "--config", str(cfg)]) == 1
    assert "give the new key in GATEPOST_NEW_MASTER_KEY" in capsys.readouterr().err

    monkeypatch.setenv("GATEPOST_NEW_MASTER_KEY", NEW)
    catalog = SqliteCatalog(tmp_path / "gp.db")
    catalog.put(KEYS, "AKIABROKEN", {"owner": "bob", "status": "Active", "secret": SecretBox(b"x" * 32).seal("s", "k")})
    try:
        assert main(["master-key", "rotate", "--config", str(cfg)]) == 1
        err = capsys.readouterr().err
        assert "iam_access_keys/AKIABROKEN:secret: opens with neither" in err and "nothing was written" in err
        assert opens_with(tmp_path, key_from_text(OLD), key_id)[0] == secret  # untouched
        catalog.delete(KEYS, "AKIABROKEN")

        half = plan(catalog, SecretBox(key_from_text(OLD)), SecretBox(key_from_text(NEW)))
        assert len(half.todo) == 4
        assert apply(catalog, half.todo[:1], SecretBox(key_from_text(NEW))) == 1  # stopped after one secret
    finally:
        catalog.close()
    assert main(["master-key", "rotate", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "re-sealed 3 secret(s)" in out and "1 already under the new key" in out
    assert "GATEPOST_MASTER_KEY=<the new key>" in out and NEW not in out
    assert opens_with(tmp_path, key_from_text(NEW), key_id)[0] == secret
    assert opens_with(tmp_path, key_from_text(NEW), key_id)[1] is not None
    assert not any(p.name.startswith("master.key") for p in tmp_path.iterdir())  # no key file in this mode
    assert os.environ["GATEPOST_MASTER_KEY"] == OLD  # the verb never changes the environment it was given


