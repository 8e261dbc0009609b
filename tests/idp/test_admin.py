"""Admin calls through boto3: SigV4-signed (service cognito-idp) by IAM principals from the catalog, allowed
by their policies; unsigned, badly signed and unauthorized calls refused with Cognito's error shapes."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from idp_kit import ACCOUNT, POOL_ID, Idp, allow_idp

from gatepost.iam.admin import IssuedKey
from gatepost.iam.directory import IamDirectory
from gatepost.iam.model import USERS


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _principal(idp: Idp, name: str, policy: dict[str, Any] | None, account: str = ACCOUNT) -> IssuedKey:
    idp.iam.create_user(name, account, now=idp.clock.now())
    if policy is not None:
        idp.iam.attach_policy(USERS, name, account, "p", policy)
    key = idp.iam.create_access_key(name, account, now=idp.clock.now())
    _wait_for_key(idp, key)  # the gateway follows the catalog (its watcher polls every 0.25 s)
    return key


def _wait_for_key(idp: Idp, key: IssuedKey) -> None:
    directory = IamDirectory.shared(idp.gw.gateway.services)
    deadline = time.monotonic() + 60  # a bound for a failure, not a timing: the poll is slow on a loaded machine
    while directory.lookup(key.access_key_id) is None:
        assert time.monotonic() < deadline, "the gateway did not load the new access key"
        time.sleep(0.02)  # waiting for the watcher's poll, not for time to pass in the code under test


def test_admin_user_lifecycle(idp: Idp) -> None:
    cognito = idp.client()
    user = cognito.admin_create_user(UserPoolId=POOL_ID, Username="Alice", MessageAction="SUPPRESS",
                                     UserAttributes=[{"Name": "email", "Value": "alice@example.com"},
                                                     {"Name": "custom:tenant", "Value": "acme"}])["User"]
    assert user["Username"] == "Alice" and user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"]
    attrs = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attrs["email"] == "alice@example.com" and attrs["custom:tenant"] == "acme" and attrs["sub"]
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(UserPoolId=POOL_ID, Username="alice")  # usernames are case-insensitive
    assert _error(exc) == ("UsernameExistsException", 400)
    cognito.admin_set_user_password(UserPoolId=POOL_ID, Username="alice", Password="Good-Pass-123", Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username="alice", GroupName="admins")
    got = cognito.admin_get_user(UserPoolId=POOL_ID, Username="alice")
    assert got["UserStatus"] == "CONFIRMED" and got["Username"] == "Alice"
    assert {a["Name"] for a in got["UserAttributes"]} == {"sub", "email", "custom:tenant"}
    assert idp.sign_in("alice", "Good-Pass-123")["IdToken"]
    with pytest.raises(ClientError) as exc:
        cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username="alice", GroupName="nope")
    assert _error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        cognito.admin_get_user(UserPoolId=POOL_ID, Username="nobody")
    assert _error(exc) == ("UserNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        cognito.admin_set_user_password(UserPoolId=POOL_ID, Username="alice", Password="weak", Permanent=True)
    assert _error(exc) == ("InvalidPasswordException", 400)
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(UserPoolId=POOL_ID, Username="bob",
                                  UserAttributes=[{"Name": "custom:undeclared", "Value": "x"}])
    assert _error(exc) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as exc:
        cognito.admin_get_user(UserPoolId="us-east-1_Nope", Username="alice")
    assert _error(exc) == ("ResourceNotFoundException", 400)


def test_list_users_filter_and_pages(idp: Idp) -> None:
    cognito = idp.client()
    for name in ("ann", "bea", "cat", "dan", "eve"):
        cognito.admin_create_user(UserPoolId=POOL_ID, Username=name,
                                  UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
    first = cognito.list_users(UserPoolId=POOL_ID, Limit=2)
    assert [u["Username"] for u in first["Users"]] == ["ann", "bea"]
    second = cognito.list_users(UserPoolId=POOL_ID, Limit=2, PaginationToken=first["PaginationToken"])
    assert [u["Username"] for u in second["Users"]] == ["cat", "dan"]
    found = cognito.list_users(UserPoolId=POOL_ID, Filter='email = "eve@example.com"')["Users"]
    assert [u["Username"] for u in found] == ["eve"]
    found = cognito.list_users(UserPoolId=POOL_ID, Filter='username ^= "d"', AttributesToGet=["email"])["Users"]
    assert [(u["Username"], u["Attributes"]) for u in found] == [("dan", [{"Name": "email",
                                                                           "Value": "dan@example.com"}])]
    paginator = cognito.get_paginator("list_users")
    assert len([u for page in paginator.paginate(UserPoolId=POOL_ID, PaginationConfig={"PageSize": 2})
                for u in page["Users"]]) == 5


def test_unsigned_admin_calls_are_refused(idp: Idp) -> None:
    with pytest.raises(ClientError) as exc:
        idp.client(unsigned=True).admin_get_user(UserPoolId=POOL_ID, Username="alice")
    assert _error(exc) == ("MissingAuthenticationTokenException", 400)
    r = requests.post(idp.endpoint, json={"UserPoolId": POOL_ID, "Username": "x"}, timeout=5,
                      headers={"x-amz-target": "AWSCognitoIdentityProviderService.AdminCreateUser",
                               "content-type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json() == {"__type": "MissingAuthenticationTokenException",
                                                 "message": "Missing Authentication Token"}
    assert idp.pools.core.users.get(idp.pools.core.by_id[POOL_ID], "x") is None


def test_bad_signatures_and_unknown_keys_are_refused(idp: Idp) -> None:
    forged = IssuedKey(idp.admin_key.access_key_id, "wrong" + idp.admin_key.secret_access_key[5:])
    with pytest.raises(ClientError) as exc:
        idp.client(forged).list_users(UserPoolId=POOL_ID)
    assert _error(exc) == ("InvalidSignatureException", 400)
    stranger = IssuedKey("AKIAIOSFODNN7EXAMPLE", "x" * 40)
    with pytest.raises(ClientError) as exc:
        idp.client(stranger).list_users(UserPoolId=POOL_ID)
    assert _error(exc) == ("UnrecognizedClientException", 400)
    assert exc.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_policies_decide_each_admin_action(idp: Idp) -> None:
    nobody = _principal(idp, "no-policy", None)
    with pytest.raises(ClientError) as exc:
        idp.client(nobody).admin_create_user(UserPoolId=POOL_ID, Username="mallory")
    assert _error(exc) == ("AccessDeniedException", 400)
    message = exc.value.response["Error"]["Message"]
    assert "is not authorized to perform: cognito-idp:AdminCreateUser on resource: " \
           f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{POOL_ID}" in message
    reader = _principal(idp, "reader", allow_idp("cognito-idp:ListUsers"))
    assert idp.client(reader).list_users(UserPoolId=POOL_ID)["Users"] == []
    with pytest.raises(ClientError) as exc:
        idp.client(reader).admin_create_user(UserPoolId=POOL_ID, Username="mallory")
    assert _error(exc)[0] == "AccessDeniedException"
    denied = _principal(idp, "denied", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "cognito-idp:AdminSetUserPassword", "Resource": "*"}]})
    with pytest.raises(ClientError) as exc:
        idp.client(denied).admin_set_user_password(UserPoolId=POOL_ID, Username="x", Password="Abcdef-123")
    assert "explicit deny" in exc.value.response["Error"]["Message"]
    outsider = _principal(idp, "outsider", allow_idp(), account="999999999999")
    with pytest.raises(ClientError) as exc:
        idp.client(outsider).list_users(UserPoolId=POOL_ID)
    assert _error(exc)[0] == "AccessDeniedException"
    assert idp.pools.core.users.get(idp.pools.core.by_id[POOL_ID], "mallory") is None
