"""Signing keys: RS256, sealed at rest with the master key, rotated with `gatepost pools rotate-keys` while
the gateway runs (old key published until its tokens expire); discovery and JWKS; the OAuth token endpoint."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from idp_kit import ISSUER, POOL_ID, Idp, claims_of, config, running_idp

from gatepost.cli import main
from gatepost.config.load import load_text
from gatepost.iam.crypto import SecretBox
from gatepost.idp.keys import KEYS, load_ring
from gatepost.idp.pool import compile_pools
from gatepost.idp.state import ensure_pool
from gatepost.stores.memory import MemoryCatalog
from gatepost.stores.sqlite import SqliteCatalog
from support import Upstream


def _kid(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def test_discovery_and_jwks_match_the_tokens(idp: Idp) -> None:
    idp.create_user("alice")
    tokens = idp.sign_in("alice")
    disco = idp.gw.get(f"/_gatepost/idp/{POOL_ID}/.well-known/openid-configuration").json()
    assert disco["issuer"] == ISSUER == claims_of(tokens["IdToken"])["iss"]  # the configured public URL
    assert disco["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    keys = idp.gw.get(f"/_gatepost/idp/{POOL_ID}/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [_kid(tokens["AccessToken"])]
    assert keys[0]["alg"] == "RS256" and keys[0]["kty"] == "RSA" and "d" not in keys[0] and "p" not in keys[0]
    assert idp.gw.get("/_gatepost/idp/us-east-1_Nope/.well-known/jwks.json").status_code == 404


def test_private_keys_are_sealed_with_the_master_key(idp: Idp) -> None:
    docs = [d for _, d in idp.catalog.list(KEYS)]
    assert len(docs) == 1
    stored = json.dumps(docs[0])
    assert "PRIVATE KEY" not in stored and docs[0]["private"].startswith("v1.")
    ring = load_ring(idp.catalog, POOL_ID, SecretBox(b"x" * 32), 3600)  # another deployment's master key
    assert ring.signer is None and ring.kid is None  # cannot sign; the public key alone stays known


def test_token_endpoint_client_credentials_and_refresh(idp: Idp) -> None:
    pool = idp.pools.core.by_id[POOL_ID]
    job = pool.client_named("job")
    assert job is not None
    secret = idp.pools.core.secrets[job.client_id]
    url = f"{idp.gw.url}/_gatepost/idp/{POOL_ID}/oauth2/token"
    r = requests.post(url, data={"grant_type": "client_credentials", "client_id": job.client_id,
                                 "client_secret": secret, "scope": "payments/reports.read"}, timeout=5)
    assert r.status_code == 200 and r.json()["token_type"] == "Bearer" and r.headers["cache-control"] == "no-store"
    claims = claims_of(r.json()["access_token"])
    assert claims["sub"] == claims["client_id"] == job.client_id and claims["scope"] == "payments/reports.read"
    assert claims["token_use"] == "access" and claims["iss"] == ISSUER
    bad = requests.post(url, auth=(job.client_id, "wrong"), data={"grant_type": "client_credentials"}, timeout=5)
    assert bad.status_code == 401 and bad.json() == {"error": "invalid_client"}
    r = requests.post(url, auth=(job.client_id, secret), timeout=5,
                      data={"grant_type": "client_credentials", "scope": "payments/reports.write"})
    assert r.status_code == 400 and r.json() == {"error": "invalid_scope"}
    r = requests.post(url, auth=(job.client_id, secret), data={"grant_type": "password"}, timeout=5)
    assert r.json() == {"error": "unsupported_grant_type"}
    idp.create_user("alice")
    refresh = idp.sign_in("alice")["RefreshToken"]
    app = pool.client_named("app")
    assert app is not None
    r = requests.post(url, data={"grant_type": "refresh_token", "client_id": app.client_id,
                                 "refresh_token": refresh}, timeout=5)
    assert r.status_code == 200 and claims_of(r.json()["id_token"])["cognito:username"] == "alice"
    r = requests.post(url, data={"grant_type": "refresh_token", "client_id": app.client_id,
                                 "refresh_token": "nope"}, timeout=5)
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant"}


def test_rotation_while_serving_keeps_old_tokens_until_they_expire(tmp_path: Path, master_key: bytes,
                                                                   upstream: Upstream,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f'state: {{catalog: "sqlite:///{tmp_path}/idp.db"}}\n' + config(upstream.url))
    assert main(["pools", "create", "mobile", "--config", str(cfg)]) == 0
    assert main(["users", "create", "alice", "--password", "Good-Pass-123", "--config", str(cfg)]) == 0
    catalog = SqliteCatalog(tmp_path / "idp.db")
    try:
        with running_idp(upstream.url, text=cfg.read_text(), catalog=catalog) as idp:
            old = idp.sign_in("alice", "Good-Pass-123")
            capsys.readouterr()
            assert main(["pools", "rotate-keys", "mobile", "--config", str(cfg)]) == 0
            assert "new signing key" in capsys.readouterr().out
            jwks_url = f"/_gatepost/idp/{POOL_ID}/.well-known/jwks.json"
            for _ in range(200):  # the watcher's next poll (0.25 s)
                if len(idp.gw.get(jwks_url).json()["keys"]) == 2:
                    break
                time.sleep(0.02)
            new = idp.sign_in("alice", "Good-Pass-123")
            assert _kid(new["AccessToken"]) != _kid(old["AccessToken"])
            kids = [k["kid"] for k in idp.gw.get(jwks_url).json()["keys"]]
            assert kids == [_kid(old["AccessToken"]), _kid(new["AccessToken"])]
            assert idp.call("/me", old["AccessToken"]).status_code == 200  # the retired key still verifies
            assert idp.call("/me", new["AccessToken"]).status_code == 200
            idp.clock.advance(3700)  # every token of the old key has expired: it leaves the JWKS
            assert [k["kid"] for k in idp.gw.get(jwks_url).json()["keys"]] == [_kid(new["AccessToken"])]
    finally:
        catalog.close()


def test_a_key_sealed_under_another_master_key_fails_closed(master_key: bytes, upstream: Upstream) -> None:
    catalog = MemoryCatalog()
    pools = compile_pools(load_text(config(upstream.url))[0].user_pools, "127.0.0.1", 8080)
    ensure_pool(catalog, pools["mobile"], SecretBox(b"x" * 32), time.time())  # another deployment's key
    with running_idp(upstream.url, catalog=catalog) as idp:
        idp.create_user("alice")
        with pytest.raises(ClientError) as exc:
            idp.sign_in("alice")
        assert exc.value.response["Error"]["Code"] == "InternalErrorException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert len(idp.gw.get(f"/_gatepost/idp/{POOL_ID}/.well-known/jwks.json").json()["keys"]) == 1
