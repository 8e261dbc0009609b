"""AdminRemoveUserFromGroup through boto3 on a running gateway (SigV4, the same IAM authorization as the other
admin calls, Cognito's error shapes), and `gatepost users remove-from-group` on a real SQLite catalog: a new
sign-in after removal no longer carries the group, and a group-restricted route refuses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from idp_kit import ACCOUNT, POOL_ID, Idp, claims_of, config
from test_admin import _error, _principal

from gatepost.cli import main
from support import Upstream


def test_removed_user_loses_the_group_at_next_sign_in(idp: Idp) -> None:
    idp.create_user("alice", groups=("admins",))
    before = idp.sign_in("alice")
    assert claims_of(before["AccessToken"])["cognito:groups"] == ["admins"]
    assert idp.call("/admin", before["AccessToken"]).status_code == 200
    cognito = idp.client()
    assert cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username="alice", GroupName="admins")[
        "ResponseMetadata"]["HTTPStatusCode"] == 200
    after = idp.sign_in("alice")
    assert "cognito:groups" not in claims_of(after["AccessToken"])
    assert "cognito:groups" not in claims_of(after["IdToken"])
    r = idp.call("/admin", after["AccessToken"])
    assert r.status_code == 403, r.text
    # removing again is not an error (Cognito); an undeclared group or unknown user is
    cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username="alice", GroupName="admins")
    with pytest.raises(ClientError) as exc:
        cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username="alice", GroupName="nope")
    assert _error(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username="nobody", GroupName="admins")
    assert _error(exc) == ("UserNotFoundException", 400)


def test_remove_from_group_needs_its_own_permission(idp: Idp) -> None:
    idp.create_user("bob", groups=("admins",))
    adder = _principal(idp, "adder", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cognito-idp:AdminAddUserToGroup", "Resource": "*"}]})
    with pytest.raises(ClientError) as exc:
        idp.client(adder).admin_remove_user_from_group(UserPoolId=POOL_ID, Username="bob", GroupName="admins")
    assert _error(exc) == ("AccessDeniedException", 400)
    assert "cognito-idp:AdminRemoveUserFromGroup on resource: " \
           f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{POOL_ID}" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        idp.client(unsigned=True).admin_remove_user_from_group(UserPoolId=POOL_ID, Username="bob",
                                                               GroupName="admins")
    assert _error(exc)[0] == "MissingAuthenticationTokenException"
    assert claims_of(idp.sign_in("bob")["AccessToken"])["cognito:groups"] == ["admins"]


def test_cli_remove_from_group(tmp_path: Path, master_key: bytes, upstream: Upstream,
                               capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(f'state: {{catalog: "sqlite:///{tmp_path}/idp.db"}}\n' + config(upstream.url))
    base = ["--config", str(cfg)]
    assert main(["users", "create", "carol", "--password", "Good-Pass-123", "--group", "admins",
                 "--group", "support", *base]) == 0
    capsys.readouterr()
    assert main(["users", "remove-from-group", "carol", "admins", *base]) == 0
    assert capsys.readouterr().out.strip() == "user carol: groups support"
    assert main(["users", "list", "--json", *base]) == 0
    assert json.loads(capsys.readouterr().out)[0]["groups"] == ["support"]
    assert main(["users", "remove-from-group", "carol", "nope", *base]) == 1
    assert "ResourceNotFoundException: Group not found." in capsys.readouterr().err
    assert main(["users", "remove-from-group", "nobody", "support", *base]) == 1
    assert "UserNotFoundException" in capsys.readouterr().err
