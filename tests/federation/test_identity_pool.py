"""Identity pools end to end: boto3's cognito-identity client exchanges built-in pool tokens for role
credentials, botocore signs with them, and the IAM authorizer lets each group reach only its routes."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError
from fedkit import CONFIG, IDENTITY_POOL, PROVIDER, ROLE, federation

from gatepost.idp.registry import UserPools
from gatepost.stores.sqlite import SqliteCatalog


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def test_each_group_reaches_only_its_routes_and_guests_only_theirs() -> None:
    with federation() as fed:
        teacher = fed.user("tina", "teachers")
        student = fed.user("sam", "students")
        _, t_creds = fed.credentials(teacher)
        _, s_creds = fed.credentials(student)
        _, g_creds = fed.credentials(None)

        assert t_creds["SessionToken"] and t_creds["AccessKeyId"].startswith("ASIA")
        assert [fed.call(t_creds, p).status_code for p in ("/grades", "/homework", "/timetable")] == [200, 403, 403]
        assert [fed.call(s_creds, p).status_code for p in ("/grades", "/homework", "/timetable")] == [403, 200, 403]
        assert [fed.call(g_creds, p).status_code for p in ("/grades", "/homework", "/timetable")] == [403, 403, 200]
        denied = fed.call(s_creds, "/grades").json()
        assert "assumed-role/Students/CognitoIdentityCredentials" in denied["Message"]


def test_rest_events_carry_the_identity_pool_fields() -> None:
    with federation() as fed:
        identity_id, creds = fed.credentials(fed.user("tina", "teachers"))
        seen = fed.call(creds, "/whoami").json()["identity"]
        assert seen["cognitoIdentityPoolId"] == IDENTITY_POOL
        assert seen["cognitoIdentityId"] == identity_id
        assert seen["cognitoAuthenticationType"] == "authenticated"
        provider = seen["cognitoAuthenticationProvider"]
        assert provider.startswith(f"{PROVIDER},{PROVIDER}:CognitoSignIn:")
        assert seen["userArn"].endswith(":assumed-role/Teachers/CognitoIdentityCredentials")
        assert seen["accessKey"] == creds["AccessKeyId"]

        guest_id, guest = fed.credentials(None)
        seen = fed.call(guest, "/whoami").json()["identity"]
        assert seen["cognitoAuthenticationType"] == "unauthenticated"
        assert seen["cognitoIdentityId"] == guest_id and seen["cognitoAuthenticationProvider"] is None


def test_same_user_same_identity_id_across_restarts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    catalog = SqliteCatalog(str(tmp_path / "catalog.db"))
    with federation(catalog=catalog) as fed:
        first, _ = fed.credentials(fed.user("tina", "teachers"))
        again, _ = fed.credentials(fed.id_token("tina"))
        assert again == first
    with federation(catalog=SqliteCatalog(str(tmp_path / "catalog.db"))) as fed:
        after, creds = fed.credentials(fed.id_token("tina"))
        assert after == first
        assert fed.call(creds, "/grades").status_code == 200


def test_role_choice_custom_role_preferred_role_and_ambiguity() -> None:
    with federation() as fed:
        both = fed.user("bea", "teachers", "students")  # preferred role: teachers (precedence 1)
        _, creds = fed.credentials(both)
        assert fed.call(creds, "/grades").status_code == 200
        _, creds = fed.credentials(both, CustomRoleArn=ROLE.format("Students"))  # listed in cognito:roles
        assert fed.call(creds, "/homework").status_code == 200
        assert fed.call(creds, "/grades").status_code == 403
        with pytest.raises(ClientError) as exc:
            fed.credentials(both, CustomRoleArn=ROLE.format("Members"))  # not in the token: refused
        assert _error(exc)[0] == "NotAuthorizedException"
        plain = fed.user("pat")  # no group, no role in the token: ambiguous -> the authenticated role
        _, creds = fed.credentials(plain)
        assert fed.call(creds, "/timetable").status_code == 200


def test_a_role_that_does_not_trust_the_pool_is_refused() -> None:
    with federation() as fed:
        token = fed.user("tina", "teachers")
        with pytest.raises(ClientError) as exc:
            fed.credentials(token, CustomRoleArn=ROLE.format("Untrusted"))
        assert _error(exc)[0] == "NotAuthorizedException"  # not in cognito:roles at all
        fed.iam.set_trust_policy("Teachers", "123456789012", {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:someone-else"}}}]})
        with pytest.raises(ClientError) as exc:
            fed.credentials(token)
        assert _error(exc) == ("InvalidIdentityPoolConfigurationException",
                               "Invalid identity pool configuration. Check assigned IAM roles for this pool.")


def test_bad_tokens_are_refused_before_any_identity_is_made() -> None:
    with federation() as fed:
        token = fed.user("tina", "teachers")
        client = fed.identity()
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        for logins, code in (({PROVIDER: tampered}, "NotAuthorizedException"),
                             ({"accounts.example.com": token}, "NotAuthorizedException"),
                             ({PROVIDER: "not-a-jwt"}, "NotAuthorizedException")):
            with pytest.raises(ClientError) as exc:
                client.get_id(IdentityPoolId=IDENTITY_POOL, Logins=logins)
            assert _error(exc)[0] == code
        with pytest.raises(ClientError) as exc:
            client.get_id(IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000000")
        assert _error(exc)[0] == "ResourceNotFoundException"
        access = fed.idp().initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId="fedappclient0000000000001",
                                         AuthParameters={"USERNAME": "tina", "PASSWORD": "Correct-Horse-9"})
        with pytest.raises(ClientError) as exc:  # an access token is not an ID token
            client.get_id(IdentityPoolId=IDENTITY_POOL,
                          Logins={PROVIDER: access["AuthenticationResult"]["AccessToken"]})
        assert _error(exc)[0] == "NotAuthorizedException"


def test_an_identity_with_logins_needs_them_and_the_same_subject() -> None:
    with federation() as fed:
        identity_id, _ = fed.credentials(fed.user("tina", "teachers"))
        other = fed.user("sam", "students")
        client = fed.identity()
        with pytest.raises(ClientError) as exc:
            client.get_credentials_for_identity(IdentityId=identity_id)
        assert _error(exc)[0] == "NotAuthorizedException"
        with pytest.raises(ClientError) as exc:
            client.get_credentials_for_identity(IdentityId=identity_id, Logins={PROVIDER: other})
        assert _error(exc)[0] == "NotAuthorizedException"


def test_expired_and_disabled_users_tokens_are_refused() -> None:
    with federation() as fed:
        token = fed.user("tina", "teachers")
        pools = UserPools.of(fed.gw.gateway.services)
        assert pools is not None
        pools.core.users.set_enabled(pools.core.by_id["us-east-1_FedPool01"], "tina", False, now=fed.clock.now())
        with pytest.raises(ClientError) as exc:
            fed.credentials(token)
        assert _error(exc) == ("NotAuthorizedException", "Invalid login token. User is disabled.")
        token = fed.user("sam", "students")
        fed.clock.advance(3601)  # ID tokens last an hour
        with pytest.raises(ClientError) as exc:
            fed.credentials(token)
        assert _error(exc) == ("NotAuthorizedException", "Invalid login token. Token expired.")


def test_credentials_expire_with_aws_message() -> None:
    with federation() as fed:
        fed.user("tina", "teachers")
        fed.clock.set(time.time() - 1000)  # sign in and exchange 1000 s ago; credentials last 900 s
        _, creds = fed.credentials(fed.id_token("tina"))
        assert creds["Expiration"].timestamp() == pytest.approx(fed.clock.now() + 900, abs=2)
        fed.clock.set(time.time())  # the gateway's clock is the signer's again
        answer = fed.call(creds, "/grades")
        assert answer.status_code == 403
        assert answer.json() == {"message": "The security token included in the request is expired"}


def test_guests_are_refused_when_the_pool_does_not_allow_them() -> None:
    text = CONFIG.replace("allow_unauthenticated: true", "allow_unauthenticated: false")
    with federation(text=text) as fed:
        client = fed.identity()
        with pytest.raises(ClientError) as exc:
            client.get_id(IdentityPoolId=IDENTITY_POOL)
        assert _error(exc) == ("NotAuthorizedException",
                               "Unauthenticated access is not supported for this identity pool.")
        _, creds = fed.credentials(fed.user("tina", "teachers"))  # members still get in
        assert fed.call(creds, "/grades").status_code == 200


def test_open_id_token_is_signed_for_the_identity() -> None:
    with federation() as fed:
        token = fed.user("tina", "teachers")
        client = fed.identity()
        identity_id = client.get_id(IdentityPoolId=IDENTITY_POOL, Logins={PROVIDER: token})["IdentityId"]
        answer = client.get_open_id_token(IdentityId=identity_id, Logins={PROVIDER: token})
        import base64

        payload = answer["Token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["sub"] == identity_id and claims["aud"] == IDENTITY_POOL
        assert claims["amr"][0] == "authenticated" and PROVIDER in claims["amr"]
        jwks = fed.gw.get("/_gatepost/cognito-identity/.well-known/jwks.json").json()
        assert len(jwks["keys"]) == 1 and jwks["keys"][0]["alg"] == "RS256"


def test_config_errors_name_the_place_and_the_fix() -> None:
    from fedkit import HERE

    from gatepost.bootstrap import build_gateway
    from gatepost.errors import ConfigError
    from gatepost.stores.memory import MemoryCatalog

    cases = {
        "builtin: mobile": ("builtin: nowhere", "no user pool 'nowhere'"),
        "allow_unauthenticated: true": ("allow_unauthenticated: true\n    bogus: 1", "bogus"),
        "mobile: {type: Token": ("elsewhere: {type: Token", "unknown providers ['elsewhere']"),
    }
    for old, (new, said) in cases.items():
        with pytest.raises(ConfigError) as exc:
            build_gateway(text=CONFIG.replace(old, new, 1), catalog=MemoryCatalog(), config_dir=HERE)
        assert said in str(exc.value) and "identity_pools" in str(exc.value)


def test_explain_lists_the_identity_pool_roles_that_reach_each_iam_route() -> None:
    from fedkit import HERE

    from gatepost.config.compile import compile_gateway
    from gatepost.config.load import load_text
    from gatepost.explain.explain import explain
    from gatepost.explain.load import Loaded
    from gatepost.services import Services

    with federation() as fed:
        config, doc = load_text(CONFIG)
        gateway = compile_gateway(config, doc, Services(catalog=fed.catalog), HERE)
        loaded = Loaded(config, gateway, HERE / "x.yaml")
        rows = {r.route: r.identity_pool_roles for r in explain(loaded, fed.catalog)}
    assert rows["GET /grades"] == ["school: Teachers (group teachers, group both-a)"]
    assert rows["GET /homework"] == ["school: Students (group students)"]
    assert rows["GET /timetable"] == ["school: Members (members)", "school: Guests (guests)"]
    assert rows["GET /whoami"] == ["school: Guests (guests)", "school: Teachers (group teachers, group both-a)",
                                   "school: Students (group students)"]
