"""Sign-in with boto3's cognito-idp client against a running gateway: password, refresh, new-password
challenge, GetUser; tokens shaped like Cognito's."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from idp_kit import ADMIN_ROLE, APP, ISSUER, PASSWORD, POOL_ID, SECRET_APP, SUPPORT_ROLE, Idp, claims_of

from gatepost.idp.core import secret_hash


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_password_sign_in_returns_cognito_shaped_tokens(idp: Idp) -> None:
    idp.create_user("alice", groups=("support", "admins"), attributes={"email": "alice@example.com",
                                                                       "email_verified": "true",
                                                                       "custom:tenant": "acme"})
    result = idp.sign_in("alice")
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600 and result["RefreshToken"]
    id_claims, access = claims_of(result["IdToken"]), claims_of(result["AccessToken"])
    assert id_claims["token_use"] == "id" and access["token_use"] == "access"
    assert id_claims["iss"] == access["iss"] == ISSUER
    assert id_claims["aud"] == APP and access["client_id"] == APP and "aud" not in access
    assert id_claims["cognito:username"] == "alice" and access["username"] == "alice"
    assert id_claims["sub"] == access["sub"]
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["admins", "support"]  # by precedence
    assert id_claims["cognito:roles"] == [ADMIN_ROLE, SUPPORT_ROLE]
    assert id_claims["cognito:preferred_role"] == ADMIN_ROLE
    assert id_claims["email"] == "alice@example.com" and id_claims["email_verified"] is True
    assert id_claims["custom:tenant"] == "acme"
    assert access["scope"] == "aws.cognito.signin.user.admin profile.read"
    assert id_claims["origin_jti"] == access["origin_jti"] and id_claims["jti"] != access["jti"]
    assert id_claims["auth_time"] == access["auth_time"] == int(idp.clock.now())
    assert id_claims["exp"] - id_claims["iat"] == 3600


def test_preferred_role_is_absent_when_the_best_precedence_ties(idp: Idp) -> None:
    idp.create_user("bob", groups=("support", "peers"))
    claims = claims_of(idp.sign_in("bob")["IdToken"])
    assert set(claims["cognito:roles"]) == {SUPPORT_ROLE, "arn:aws:iam::123456789012:role/Peer"}
    assert "cognito:preferred_role" not in claims
    idp.create_user("carol", groups=("readers",))
    claims = claims_of(idp.sign_in("carol")["IdToken"])
    assert claims["cognito:groups"] == ["readers"] and "cognito:roles" not in claims


def test_refresh_keeps_the_session_and_auth_time(idp: Idp) -> None:
    idp.create_user("alice")
    first = idp.sign_in("alice")
    idp.clock.advance(600)
    again = idp.client().initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=APP,
                                       AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})["AuthenticationResult"]
    assert "RefreshToken" not in again  # Cognito keeps the refresh token (no rotation)
    old, new = claims_of(first["AccessToken"]), claims_of(again["AccessToken"])
    assert new["origin_jti"] == old["origin_jti"] and new["auth_time"] == old["auth_time"]
    assert new["iat"] == old["iat"] + 600 and new["jti"] != old["jti"]
    with pytest.raises(ClientError) as exc:
        idp.client().initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=APP,
                                   AuthParameters={"REFRESH_TOKEN": "not-a-refresh-token"})
    assert _code(exc) == ("NotAuthorizedException", "Invalid Refresh Token", 400)


def test_new_password_challenge_then_sign_in(idp: Idp) -> None:
    cognito = idp.client()
    created = cognito.admin_create_user(UserPoolId=POOL_ID, Username="dave", TemporaryPassword="Temp-Pass-123",
                                        UserAttributes=[{"Name": "email", "Value": "dave@example.com"}])
    assert created["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    challenge = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                      AuthParameters={"USERNAME": "dave", "PASSWORD": "Temp-Pass-123"})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and "AuthenticationResult" not in challenge
    with pytest.raises(ClientError) as exc:
        cognito.respond_to_auth_challenge(ClientId=APP, ChallengeName="NEW_PASSWORD_REQUIRED",
                                          Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": "dave", "NEW_PASSWORD": "short"})
    assert _code(exc)[0] == "InvalidPasswordException"
    done = cognito.respond_to_auth_challenge(ClientId=APP, ChallengeName="NEW_PASSWORD_REQUIRED",
                                             Session=challenge["Session"],
                                             ChallengeResponses={"USERNAME": "dave", "NEW_PASSWORD": "Brand-New-456"})
    assert claims_of(done["AuthenticationResult"]["IdToken"])["cognito:username"] == "dave"
    assert cognito.admin_get_user(UserPoolId=POOL_ID, Username="dave")["UserStatus"] == "CONFIRMED"
    assert idp.sign_in("dave", "Brand-New-456")["AccessToken"]
    with pytest.raises(ClientError) as exc:  # the session cannot be replayed for another user
        cognito.respond_to_auth_challenge(ClientId=APP, ChallengeName="NEW_PASSWORD_REQUIRED",
                                          Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": "eve", "NEW_PASSWORD": "Brand-New-456"})
    assert _code(exc)[0] == "NotAuthorizedException"


def test_challenge_session_and_temporary_password_expire(idp: Idp) -> None:
    cognito = idp.client()
    cognito.admin_create_user(UserPoolId=POOL_ID, Username="erin", TemporaryPassword="Temp-Pass-123")
    challenge = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                      AuthParameters={"USERNAME": "erin", "PASSWORD": "Temp-Pass-123"})
    idp.clock.advance(181)
    with pytest.raises(ClientError) as exc:
        cognito.respond_to_auth_challenge(ClientId=APP, ChallengeName="NEW_PASSWORD_REQUIRED",
                                          Session=challenge["Session"],
                                          ChallengeResponses={"USERNAME": "erin", "NEW_PASSWORD": "Brand-New-456"})
    assert _code(exc)[:2] == ("NotAuthorizedException", "Invalid session for the user, session is expired.")
    idp.clock.advance(7 * 86_400)
    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                              AuthParameters={"USERNAME": "erin", "PASSWORD": "Temp-Pass-123"})
    assert _code(exc)[1] == "Temporary password has expired and must be reset by an administrator."


def test_get_user_with_the_access_token(idp: Idp) -> None:
    idp.create_user("alice", attributes={"email": "alice@example.com", "custom:tenant": "acme"})
    tokens = idp.sign_in("alice")
    user = idp.client().get_user(AccessToken=tokens["AccessToken"])
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["Username"] == "alice" and attrs["email"] == "alice@example.com" and attrs["custom:tenant"] == "acme"
    assert attrs["sub"] == claims_of(tokens["AccessToken"])["sub"]
    with pytest.raises(ClientError) as exc:
        idp.client().get_user(AccessToken=tokens["IdToken"])  # an ID token is not an access token
    assert _code(exc) == ("NotAuthorizedException", "Invalid Access Token", 400)
    idp.clock.advance(3600)
    with pytest.raises(ClientError) as exc:
        idp.client().get_user(AccessToken=tokens["AccessToken"])
    assert _code(exc)[1] == "Access Token has expired"


def test_confidential_client_needs_the_secret_hash(idp: Idp) -> None:
    idp.create_user("alice")
    cognito = idp.client()
    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=SECRET_APP,
                              AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})
    assert _code(exc)[0] == "NotAuthorizedException" and "SECRET_HASH" in _code(exc)[1]
    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=SECRET_APP,
                              AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": "AAAA"})
    assert _code(exc)[1] == f"Unable to verify secret hash for client {SECRET_APP}"
    secret = idp.pools.core.secrets[SECRET_APP]
    ok = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=SECRET_APP,
                               AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD,
                                               "SECRET_HASH": secret_hash(secret, "alice", SECRET_APP)})
    assert claims_of(ok["AuthenticationResult"]["IdToken"])["aud"] == SECRET_APP


def test_unknown_client_flow_and_operation(idp: Idp) -> None:
    cognito = idp.client()
    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId="nosuchclient",
                              AuthParameters={"USERNAME": "a", "PASSWORD": "b"})
    assert _code(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        cognito.initiate_auth(AuthFlow="USER_SRP_AUTH", ClientId=APP, AuthParameters={"USERNAME": "a"})
    assert _code(exc)[0] == "InvalidParameterException"
    r = idp.gw.post("/_gatepost/idp", data=b"{not json", headers={
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
        "content-type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json()["__type"] == "SerializationException"
    r = idp.gw.post("/_gatepost/idp", data=b"{}", headers={"x-amz-target": "AWSCognitoIdentityProviderService.SignUp"})
    assert r.status_code == 400 and r.json()["__type"] == "UnknownOperationException"


def test_endpoint_url_may_name_the_pool(idp: Idp) -> None:
    idp.create_user("alice")
    cognito = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=f"{idp.endpoint}/{POOL_ID}",
                           aws_access_key_id="x", aws_secret_access_key="y")
    result = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                   AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})
    assert result["AuthenticationResult"]["AccessToken"]
