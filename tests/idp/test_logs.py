"""Passwords, tokens, refresh tokens, challenge sessions, client secrets and admin credentials never reach a
log line or the access log, whatever happens (success, failure, lock-out, revocation)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from idp_kit import APP, POOL_ID, SECRET_APP, running_idp

from gatepost.idp.core import secret_hash
from gatepost.observe.access_log import AccessLog
from support import Upstream

CLIENT_LIBRARIES = ("botocore", "boto3", "urllib3", "requests")


def test_no_secret_in_any_log(tmp_path: Path, master_key: bytes, upstream: Upstream,
                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    access = tmp_path / "access.log"
    secrets: list[str] = ["Good-Pass-123", "Temp-Pass-123", "Brand-New-456", "Wrong-Pass-999"]
    with running_idp(upstream.url, access_log=AccessLog(str(access), interval=0.01)) as idp:
        secrets += [idp.admin_key.secret_access_key]
        cognito = idp.client()
        cognito.admin_create_user(UserPoolId=POOL_ID, Username="alice", TemporaryPassword="Temp-Pass-123")
        challenge = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                          AuthParameters={"USERNAME": "alice", "PASSWORD": "Temp-Pass-123"})
        done = cognito.respond_to_auth_challenge(
            ClientId=APP, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "alice", "NEW_PASSWORD": "Brand-New-456"})["AuthenticationResult"]
        cognito.admin_set_user_password(UserPoolId=POOL_ID, Username="alice", Password="Good-Pass-123",
                                        Permanent=True)
        with pytest.raises(ClientError):
            idp.sign_in("alice", "Wrong-Pass-999")
        tokens = idp.sign_in("alice", "Good-Pass-123")
        client_secret = idp.pools.core.secrets[SECRET_APP]
        hashed = secret_hash(client_secret, "alice", SECRET_APP)
        cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=SECRET_APP, AuthParameters={
            "USERNAME": "alice", "PASSWORD": "Good-Pass-123", "SECRET_HASH": hashed})
        job = idp.pools.core.by_id[POOL_ID].client_named("job")
        assert job is not None
        job_secret = idp.pools.core.secrets[job.client_id]
        machine = requests.post(f"{idp.endpoint}/{POOL_ID}/oauth2/token", auth=(job.client_id, job_secret),
                                data={"grant_type": "client_credentials"}, timeout=5).json()["access_token"]
        cognito.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=APP,
                              AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
        cognito.get_user(AccessToken=tokens["AccessToken"])
        for path, token in (("/me", tokens["AccessToken"]), ("/id", tokens["IdToken"]),
                            ("/me/strict", done["AccessToken"]), ("/reports", machine), ("/me", "garbage.x.y")):
            idp.call(path, token)
        cognito.revoke_token(Token=tokens["RefreshToken"], ClientId=APP)
        idp.call("/me/strict", tokens["AccessToken"])
        cognito.global_sign_out(AccessToken=done["AccessToken"])
        secrets += [tokens["AccessToken"], tokens["IdToken"], tokens["RefreshToken"], done["AccessToken"],
                    done["RefreshToken"], challenge["Session"], client_secret, hashed, job_secret, machine]
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LIBRARIES)]  # clients log bodies
    text = "\n".join(caplog.handler.format(r) for r in server_side)
    logged = text + access.read_text()
    assert "idp.sign_in pool=" in text and "idp.call op=InitiateAuth status=400" in text
    assert access.read_text().count("\n") >= 6  # the route calls were logged
    for secret in secrets:
        assert secret not in logged
        assert secret[:24] not in logged  # not even a prefix
