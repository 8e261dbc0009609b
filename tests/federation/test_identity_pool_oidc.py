"""An identity pool over an external OIDC issuer (moto's Cognito server: real RS256 ID tokens and a JWKS on
loopback), with claim rules choosing the role; the rule operators on their own; no token in the log."""

from __future__ import annotations

import logging

import pytest
from botocore.exceptions import ClientError
from fedkit import CONFIG, IDENTITY_POOL, ROLE, federation
from jwt_helpers import Cognito, run_moto

from gatepost.federation.pool import Rule
from gatepost.federation.roles import rule_matches


def oidc_config(moto: Cognito, ambiguous: str) -> str:
    provider = f"""      - issuer: "{moto.issuer}"
        jwks_uri: "{moto.jwks_uri}"
        client_ids: [{moto.client_id}]
"""
    rules = f"""      "{moto.issuer.removeprefix('https://')}":
        type: Rules
        ambiguous_role_resolution: {ambiguous}
        rules:
          - {{claim: "cognito:username", match_type: Equals, value: earl, role_arn: "{ROLE.format('Teachers')}"}}
          - {{claim: cognito:groups, match_type: Contains, value: support, role_arn: "{ROLE.format('Students')}"}}
"""
    text = CONFIG.replace("      - builtin: mobile\n", "      - builtin: mobile\n" + provider)
    return text.replace("      mobile: {type: Token, ambiguous_role_resolution: AuthenticatedRole}\n",
                        "      mobile: {type: Token, ambiguous_role_resolution: AuthenticatedRole}\n" + rules)


def credentials(fed: object, provider: str, token: str) -> dict[str, object]:
    client = fed.identity()  # type: ignore[attr-defined]
    identity = client.get_id(IdentityPoolId=IDENTITY_POOL, Logins={provider: token})["IdentityId"]
    answer = client.get_credentials_for_identity(IdentityId=identity, Logins={provider: token})
    return dict(answer["Credentials"])


@pytest.fixture(scope="module")
def moto() -> object:
    with run_moto() as found:
        yield found


def test_rules_choose_the_role_for_an_oidc_issuers_tokens(moto: Cognito, caplog: pytest.LogCaptureFixture) -> None:
    provider = moto.issuer.removeprefix("https://")
    caplog.set_level(logging.INFO)
    with federation(text=oidc_config(moto, "AuthenticatedRole")) as fed:
        earl = credentials(fed, provider, moto.id_token)  # username equals: Teachers (the first rule that matches)
        assert [fed.call(earl, p).status_code for p in ("/grades", "/homework", "/timetable")] == [200, 403, 403]
        plain = credentials(fed, provider, moto.plain_id_token)  # no rule matches: the authenticated role
        assert [fed.call(plain, p).status_code for p in ("/grades", "/homework", "/timetable")] == [403, 403, 200]
        seen = fed.call(earl, "/whoami").json()["identity"]
        assert seen["cognitoAuthenticationProvider"] == f"{provider},{provider}:OpenIdConnect:{moto.sub}"
    logged = caplog.text
    for secret in (moto.id_token, moto.plain_id_token, str(earl["SecretKey"]), str(earl["SessionToken"])):
        assert secret not in logged


def test_deny_when_no_rule_matches(moto: Cognito) -> None:
    provider = moto.issuer.removeprefix("https://")
    with federation(text=oidc_config(moto, "Deny")) as fed:
        with pytest.raises(ClientError) as exc:
            credentials(fed, provider, moto.plain_id_token)
        assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
        assert fed.call(credentials(fed, provider, moto.id_token), "/grades").status_code == 200


def test_a_token_of_another_audience_is_refused(moto: Cognito) -> None:
    provider = moto.issuer.removeprefix("https://")
    text = oidc_config(moto, "Deny").replace(f"client_ids: [{moto.client_id}]", "client_ids: [someone-else]")
    with federation(text=text) as fed, pytest.raises(ClientError) as exc:
        credentials(fed, provider, moto.id_token)
    assert exc.value.response["Error"]["Message"] == "Invalid login token. Incorrect audience."


@pytest.mark.parametrize(("match_type", "value", "claim", "expected"), [
    ("Equals", "finance", "finance", True), ("Equals", "finance", "Finance", False),
    ("NotEqual", "finance", "sales", True), ("NotEqual", "finance", "finance", False),
    ("StartsWith", "fin", "finance", True), ("StartsWith", "ance", "finance", False),
    ("Contains", "nan", "finance", True), ("Contains", "x", "finance", False),
    ("Contains", "admins", ["users", "admins"], True), ("Equals", "true", True, True),
])
def test_rule_operators(match_type: str, value: str, claim: object, expected: bool) -> None:
    rule = Rule("dept", match_type, value, ROLE.format("X"))
    assert rule_matches(rule, {"dept": claim}) is expected
    assert rule_matches(rule, {}) is False  # a missing claim never matches, not even NotEqual
