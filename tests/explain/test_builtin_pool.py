"""probe, explain and audit for routes guarded by the built-in user pool: real gateways on a SQLite catalog in
tmp_path, the probe minting with the pool's own key read from that catalog and unsealed with the master key."""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from gatepost.cli import main
from gatepost.explain.audit import audit
from gatepost.explain.explain import explain
from gatepost.explain.facts import DEFAULTS
from gatepost.explain.load import Loaded, load
from gatepost.explain.pool_keys import PoolKey, read_pool_keys
from gatepost.explain.pool_mint import claims_for_route, expired_token, revoked_token
from gatepost.iam.crypto import ENV_VAR
from gatepost.idp.jws import sign_rs256
from gatepost.idp.pool import derived_client_id
from gatepost.stores.sqlite import SqliteCatalog
from support import RunningGateway, Upstream, run_gateway, run_upstream

CONFIGS = Path(__file__).resolve().parent / "configs"
PASSWORD = "Correct-Horse-9"
TIGHT_POOL = "us-east-1_ProbePool1"


def _write(tmp: Path, name: str, upstream: str = "http://127.0.0.1:9") -> tuple[Path, str]:
    shutil.copy(CONFIGS / "pool_auth.py", tmp / "pool_auth.py")
    text = (CONFIGS / name).read_text().replace("${UPSTREAM}", upstream)
    path = tmp / "gatepost.yaml"
    path.write_text(text)
    return path, text


def _gateway(tmp: Path, text: str) -> Any:
    return run_gateway(text, catalog=SqliteCatalog(tmp / "gp.db"), config_dir=tmp)


def _probe(capsys: pytest.CaptureFixture[str], url: str, config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    capsys.readouterr()
    code = main(["probe", url, "--config", str(config), "--json"])
    report = json.loads(capsys.readouterr().out)
    return code, {r["route"]: r for r in report["routes"]}


def _attempts(route: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in route["attempts"]}


def _route(loaded: Loaded, key: str) -> Any:
    return next(r for api in loaded.gateway.apis for r in api.routes if r.route_key == key)


def _bearer(gw: RunningGateway, path: str, token: str) -> Any:
    return gw.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def key_file_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The master key comes from master.key beside the catalog (created by the gateway), not the env."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    yield


def _sign_in_and_revoke(capsys: pytest.CaptureFixture[str], gw: RunningGateway, config: Path) -> dict[str, Any]:
    """A real session, signed in with the CLI and revoked through the gateway's Cognito endpoint."""
    assert main(["users", "create", "alice", "--password", PASSWORD, "--group", "admins", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["users", "token", "alice", "--password", PASSWORD, "--config", str(config)]) == 0
    tokens = json.loads(capsys.readouterr().out)
    revoked = dict(tokens)
    assert main(["users", "token", "alice", "--password", PASSWORD, "--config", str(config)]) == 0
    live = json.loads(capsys.readouterr().out)
    cognito = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=gw.url + "/_gatepost/idp",
                           config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    cognito.revoke_token(Token=revoked["RefreshToken"], ClientId=derived_client_id(TIGHT_POOL, "app"))
    return live


def test_probe_sends_the_pools_expired_and_revoked_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           key_file_only: None, upstream: Upstream) -> None:
    path, text = _write(tmp_path, "pool_tight.yaml", upstream.url)
    with _gateway(tmp_path, text) as gw:
        live = _sign_in_and_revoke(capsys, gw, path)
        assert _bearer(gw, "/me/admin", live["AccessToken"]).status_code == 200  # the routes work for a user
        before = upstream.count
        code, routes = _probe(capsys, gw.url, path)
        assert upstream.count == before
        assert code == 0, routes
        assert set(routes) == {"GET /me", "GET /me/admin", "GET /profile"}
        for route in routes.values():
            assert route["verdict"] == "pass" and route["integration_calls"] == 0, route
            attempts = _attempts(route)
            assert (attempts["expired_token"]["status"], attempts["expired_token"]["verdict"]) == (401, "pass")
            assert (attempts["revoked_token"]["status"], attempts["revoked_token"]["verdict"]) == (401, "pass")

        # The minted tokens are shaped like the pool's: the same claims, fresh and of a live session, get in.
        loaded, now = load(path), time.time()
        key = read_pool_keys(loaded, now)["mobile"]
        assert isinstance(key, PoolKey) and key.revoked_origin_jti is not None
        for route_key, path_ in (("GET /me", "/me"), ("GET /me/admin", "/me/admin"), ("GET /profile", "/profile")):
            route = _route(loaded, route_key)
            fresh = claims_for_route(key, route, [], iat=int(now) - 5, validity=600)
            assert _bearer(gw, path_, sign_rs256(fresh, key.signer, key.kid)).status_code == 200, route_key
            expired = _bearer(gw, path_, expired_token(key, route, [], now))
            assert expired.status_code == 401 and expired.json() == {"message": "The incoming token has expired"}
            revoked = revoked_token(key, route, [], now)
            assert revoked is not None and _bearer(gw, path_, revoked).status_code == 401
        assert upstream.count == before + 3


def test_a_key_the_probe_cannot_unseal_skips_the_attempt(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, key_file_only: None,
                                                         upstream: Upstream) -> None:
    path, text = _write(tmp_path, "pool_tight.yaml", upstream.url)
    with _gateway(tmp_path, text) as gw:
        monkeypatch.setenv(ENV_VAR, "not the gateway's master key")
        code, routes = _probe(capsys, gw.url, path)
    assert code == 0
    for route in routes.values():
        expired = _attempts(route)["expired_token"]
        assert expired["verdict"] == "skipped" and "does not unseal" in expired["detail"]
        assert route["verdict"] == "pass"


def test_no_catalog_or_master_key_is_a_reason_never_a_file(tmp_path: Path, key_file_only: None) -> None:
    path, _ = _write(tmp_path, "pool_tight.yaml")
    why = read_pool_keys(load(path), time.time())["mobile"]
    assert isinstance(why, str) and "no catalog at" in why
    assert not (tmp_path / "gp.db").exists()  # the probe never creates the gateway's catalog

    SqliteCatalog(tmp_path / "gp.db").close()  # a catalog, but no master key anywhere
    why = read_pool_keys(load(path), time.time())["mobile"]
    assert isinstance(why, str) and "no master key" in why
    assert not (tmp_path / "master.key").exists()

    (tmp_path / "master.key").write_text(base64.b64encode(b"k" * 32).decode())  # a key, but no signing key yet
    why = read_pool_keys(load(path), time.time())["mobile"]
    assert isinstance(why, str) and "no signing key yet" in why

    path.write_text(path.read_text().replace("sqlite:///gp.db", "memory://"))
    why = read_pool_keys(load(path), time.time())["mobile"]
    assert isinstance(why, str) and "lives in the gateway's process" in why


def test_probe_and_audit_catch_the_broken_pool_config(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, base64.b64encode(b"p" * 32).decode())  # the env rule this time
    with run_upstream() as up:
        path, text = _write(tmp_path, "pool_broken.yaml", up.url)
        with _gateway(tmp_path, text) as gw:
            code, routes = _probe(capsys, gw.url, path)
    assert code == 1
    legacy = routes["GET /legacy/orders"]
    attempts = _attempts(legacy)
    assert (attempts["expired_token"]["status"], attempts["expired_token"]["verdict"]) == (200, "FAIL")
    assert legacy["verdict"] == "FAIL" and legacy["integration_calls"] == 1 and up.count == 1
    for other in ("no_credentials", "garbage_bearer", "wrong_issuer"):  # only the pool's own token got through
        assert attempts[other]["verdict"] == "pass", attempts[other]
    for key in ("GET /me", "GET /reports", "GET /admin", "GET /staff"):
        assert routes[key]["verdict"] == "pass"
        assert _attempts(routes[key])["expired_token"]["status"] == 401
        assert "revoked_token" not in _attempts(routes[key])  # no check_revocation: nothing to send

    findings = {(f.severity, f.rule, f.target) for f in audit(load(path))}
    assert {("low", "user_pool.no_revocation_check", "mobile"),
            ("medium", "user_pool.machine_scope_to_users", "GET /reports"),
            ("low", "user_pool.user_admin_scope", "GET /admin"),
            ("low", "user_pool.unreachable_route", "GET /staff"),
            ("low", "user_pool.any_client", "mobile"),
            ("medium", "lambda.uncached", "legacy")} <= findings
    pool_rules = {f for f in findings if f[1].startswith("user_pool.")}
    assert ("low", "user_pool.unreachable_route", "GET /me") not in pool_rules


def test_audit_of_the_tight_pool_config_has_no_pool_findings(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "pool_tight.yaml")
    assert not [f for f in audit(load(path)) if f.rule.startswith("user_pool.")]
    loose = path.read_text().replace(", check_revocation: true", "")
    path.write_text(loose)
    found = [f for f in audit(load(path)) if f.rule.startswith("user_pool.")]
    assert [(f.severity, f.rule, f.target) for f in found] == [("low", "user_pool.no_revocation_check", "mobile")]
    assert "30 days" in found[0].message and "check_revocation: true" in found[0].fix


def test_explain_names_the_builtin_pool(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "pool_tight.yaml")
    loaded = load(path)
    rows = {r.route: r for r in explain(loaded)}
    me = rows["GET /me"]
    assert me.owner == f"this gateway's built-in pool mobile ({TIGHT_POOL})"
    assert me.cost.startswith("in-process keys, no fetch") and me.cost.endswith("revoked-session lookup")
    assert me.coupling == "one built-in pool (Cognito-shaped tokens)"
    assert me.propagates.startswith("claims") and me.scopes == ["profile.read"]
    assert rows["GET /me/admin"].groups == ["admins"]
    cfg = loaded.config.apis["api"].authorizers["mobile"]
    default = DEFAULTS["user_pool"](cfg)  # facts.py's default stays in step with describe()
    assert default["owner"] == "this gateway's built-in pool mobile"
    assert {k: default[k] for k in ("cost", "coupling", "propagates")} == \
        {"cost": me.cost, "coupling": me.coupling, "propagates": me.propagates}
    assert not (tmp_path / "gp.db").exists()  # explain reads no catalog
