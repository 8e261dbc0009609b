"""The `user_pool` authorizer naming the built-in pool (`builtin:`) on real routes: scopes, groups, roles in
the claims, machine tokens, and `check_revocation` refusing revoked and signed-out sessions."""

from __future__ import annotations

import base64

import orjson
import pytest
import requests
from botocore.exceptions import ClientError
from idp_kit import ADMIN_ROLE, APP, Idp, running_idp

from support import Upstream


def _claims(response: requests.Response) -> dict[str, object]:
    raw = response.json()["headers"]["x-gatepost-claims"]
    return dict(orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))))


def test_scopes_groups_and_roles_on_routes(idp: Idp, upstream: Upstream) -> None:
    idp.create_user("alice", groups=("admins",))
    idp.create_user("bob", groups=("support",))
    alice, bob = idp.sign_in("alice"), idp.sign_in("bob")
    r = idp.call("/me", alice["AccessToken"])
    assert r.status_code == 200, r.text
    assert r.json()["headers"]["x-gatepost-scopes"] == "aws.cognito.signin.user.admin profile.read"
    assert idp.call("/me", alice["IdToken"]).status_code == 401  # scoped route: access tokens only (AWS)
    r = idp.call("/id", alice["IdToken"])
    assert r.status_code == 200
    claims = _claims(r)
    assert claims["cognito:roles"] == [ADMIN_ROLE] and claims["cognito:preferred_role"] == ADMIN_ROLE
    assert idp.call("/id", alice["AccessToken"]).status_code == 401  # unscoped route: ID tokens only
    assert idp.call("/admin", alice["AccessToken"]).status_code == 200
    assert idp.call("/admin", bob["AccessToken"]).status_code == 403
    assert idp.call("/reports", alice["AccessToken"]).status_code == 401  # no payments/reports.read scope
    idp.clock.advance(3600)
    r = idp.call("/me", alice["AccessToken"])
    assert r.status_code == 401 and r.json() == {"message": "The incoming token has expired"}


def test_machine_client_credentials_token_on_a_scoped_route(idp: Idp) -> None:
    pool = idp.pools.core.by_id["us-east-1_TestPool1"]
    job = pool.client_named("job")
    assert job is not None
    secret = idp.pools.core.secrets[job.client_id]
    r = idp.gw.post("/_gatepost/idp/us-east-1_TestPool1/oauth2/token", auth=(job.client_id, secret),
                    data={"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert idp.call("/reports", token).status_code == 200
    assert idp.call("/me", token).status_code == 401


def test_revoked_refresh_token_ends_the_session_on_opted_in_routes(idp: Idp) -> None:
    idp.create_user("alice")
    tokens, other = idp.sign_in("alice"), idp.sign_in("alice")
    assert idp.call("/me/strict", tokens["AccessToken"]).status_code == 200  # verified and cached
    authorizer = idp.gw.gateway.apis[0].authorizers["strict"]
    cached = len(authorizer.verifier.cache)  # type: ignore[attr-defined]
    idp.client().revoke_token(Token=tokens["RefreshToken"], ClientId=APP)
    assert len(authorizer.verifier.cache) == cached - 1  # type: ignore[attr-defined]
    r = idp.call("/me/strict", tokens["AccessToken"])
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    assert idp.call("/id/strict", tokens["IdToken"]).status_code == 401
    assert idp.call("/me", tokens["AccessToken"]).status_code == 200  # AWS semantics where not opted in
    assert idp.call("/me/strict", other["AccessToken"]).status_code == 200  # another session
    with pytest.raises(ClientError) as exc:
        idp.client().initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=APP,
                                   AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        idp.client().revoke_token(Token=tokens["AccessToken"], ClientId=APP)
    assert exc.value.response["Error"]["Code"] == "UnsupportedTokenTypeException"


def test_global_sign_out_revokes_every_session(idp: Idp) -> None:
    idp.create_user("alice")
    first, second = idp.sign_in("alice"), idp.sign_in("alice")
    idp.client().global_sign_out(AccessToken=first["AccessToken"])
    for tokens in (first, second):
        assert idp.call("/me/strict", tokens["AccessToken"]).status_code == 401
        with pytest.raises(ClientError) as exc:
            idp.client().initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=APP,
                                       AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
        assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        idp.client().get_user(AccessToken=second["AccessToken"])
    assert exc.value.response["Error"]["Message"] == "Access Token has been revoked"
    fresh = idp.sign_in("alice")  # signing in again starts a new session
    assert idp.call("/me/strict", fresh["AccessToken"]).status_code == 200


def test_http_api_defaults_the_audiences_to_the_pool_clients(master_key: bytes, upstream: Upstream) -> None:
    with running_idp(upstream.url, flavour="http") as idp:
        idp.create_user("alice", groups=("support",))
        tokens = idp.sign_in("alice")
        assert idp.call("/me", tokens["AccessToken"]).status_code == 200
        assert idp.call("/id", tokens["IdToken"]).status_code == 200
        r = idp.call("/admin", tokens["AccessToken"])
        assert r.status_code == 403
        assert idp.call("/me", "garbage").headers["www-authenticate"].startswith("Bearer")
