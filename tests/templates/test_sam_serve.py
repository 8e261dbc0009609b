"""A SAM template served as it is: every authorizer of SAM's Auth section enforced, route by route, with the
template's own functions run in-process and its Cognito pool served by the built-in pool."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from template_kit import cli, copy_fixture, serve_template, user_tokens

from gatepost.config.load import load_file

PARTNER_KEY = "PartnerKeyAcme0001xyz"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_fixture("sam_auth", tmp_path)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_sam_authorizer_is_enforced(template: Path, capsys: Any) -> None:
    tokens = user_tokens(template, capsys)
    assert cli("keys", "import", "acme", "--value", PARTNER_KEY, "--plan", "ApiUsagePlan",
               "--config", str(template)) == 0
    with serve_template(template) as gw:
        # NONE: public, served by the template's own function with its Environment
        health = gw.get("/Api/health")
        assert health.status_code == 200
        assert health.json()["greeting"] == "hello" and health.json()["function"] == "App"
        # COGNITO_USER_POOLS (DefaultAuthorizer): no token 401; the pool's ID token gets in
        assert gw.get("/Api/me").status_code == 401
        me = gw.get("/Api/me", headers=_bearer(tokens["IdToken"]))
        assert me.status_code == 200, me.text
        assert me.json()["authorizer"]["claims"]["cognito:username"] == "alice"
        # AuthorizationScopes: the access token carries the client's orders/read scope; the ID token does not
        assert gw.get("/Api/me/orders", headers=_bearer(tokens["AccessToken"])).status_code == 200
        assert gw.get("/Api/me/orders", headers=_bearer(tokens["IdToken"])).status_code == 401
        # a token from elsewhere (the access token of this pool on an ID-token route) is refused
        assert gw.get("/Api/me", headers=_bearer(tokens["AccessToken"])).status_code == 401
        # Lambda REQUEST authorizer + ApiKeyRequired (two security entries in SAM's output): both enforced
        assert gw.post("/Api/partners/acme").status_code == 401  # identity source missing: no Lambda call
        assert gw.post("/Api/partners/acme", headers={"x-api-key": "NotAKey00000000000000"}).status_code == 403
        partner = gw.post("/Api/partners/acme", headers={"x-api-key": PARTNER_KEY})
        assert partner.status_code == 200, partner.text
        assert partner.json()["authorizer"]["tenantId"] == "acme"
        # AWS_IAM: unsigned is refused as AWS does
        internal = gw.post("/Api/internal")
        assert internal.status_code == 403 and internal.json() == {"message": "Missing Authentication Token"}
        # HTTP API JWT authorizer on the template pool's issuer and client id
        assert gw.post("/Bank/settlements").status_code == 401
        settle = gw.post("/Bank/settlements", headers=_bearer(tokens["IdToken"]))
        assert settle.status_code == 200, settle.text
        assert settle.json()["authorizer"]["jwt"]["claims"]["cognito:username"] == "alice"


def test_the_pool_client_and_plan_come_from_the_template(template: Path) -> None:
    config, _ = load_file(template)
    pool = config.user_pools["UserPool"]
    assert pool.pool_id == "us-east-1_UserPool" and pool.password_policy.min_length == 8
    assert pool.clients["MobileClient"].client_id == "mobileclient"
    assert pool.clients["MobileClient"].user_scopes == ["orders/read"]
    assert pool.groups["admins"].precedence == 1
    assert pool.resource_servers["Orders"].scopes == ["read"]
    plan = config.usage_plans["ApiUsagePlan"]
    assert (plan.throttle.rate, plan.throttle.burst, plan.quota.limit) == (10, 20, 1000)
    api = config.apis["Api"]
    assert (api.flavour, api.stage) == ("rest", "prod")
    assert api.authorizers["Pool"].builtin == "UserPool"
    assert config.apis["Bank"].authorizers["PoolJwt"].app_clients == ["mobileclient"]
    routes = {r.route: r for r in api.routes}
    assert routes["POST /partners/{id}"].api_key_required and routes["POST /partners/{id}"].authorizer == "Partner"
    assert routes["GET /health"].public


def test_parameter_overrides_choose_the_condition_branch(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "StageName=dev Greeting=hi")
    monkeypatch.setitem(os.environ, "GREETING", "unset")
    config, _ = load_file(template)
    api = config.apis["Api"]
    assert api.stage == "dev"
    assert "POST /internal-dev" in {r.route for r in api.routes}
    assert os.environ["GREETING"] == "hi"


def test_a_value_outside_allowed_values_is_refused_at_its_line(template: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from gatepost.errors import ConfigError

    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "StageName=qa")
    with pytest.raises(ConfigError) as exc:
        load_file(template)
    issue = exc.value.issues[0]
    assert issue.file.endswith("template.yaml:6") and "AllowedValues" in issue.problem


def test_check_lists_every_resource_with_its_fate_and_the_public_routes(template: Path, capsys: Any,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gatepost.templates"):
        assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "Table (AWS::DynamoDB::Table): ignored" in out
    assert "App (AWS::Lambda::Function): served: runs in-process as src/app:handler" in out
    assert "ApiDeployment" in out and "PUBLIC: Api: GET /health" in out
    assert "note: API Bank is served under /Bank" in out
    resources = json.dumps(out)
    for logical_id in ("UserPool", "MobileClient", "Orders", "Admins", "PartnerAuth", "Bank", "ApiUsagePlan"):
        assert f"{logical_id} (" in resources
    assert any("public_route" in r.getMessage() and "GET /health" in r.getMessage() for r in caplog.records)


def test_parameter_overrides_flag_reaches_the_template(template: Path, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "")  # restored after the test: the CLI sets it
    assert cli("check", str(template), "--parameter-overrides", "StageName=qa") == 1
    assert "AllowedValues" in capsys.readouterr().err


def test_template_roles_granting_execute_api_become_principals(template: Path, capsys: Any) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from gatepost.iam.seed_roles import create_seeded_roles

    config, _ = load_file(template)
    assert config.apis["Api"].authorizers["AWS_IAM"].roles["InternalCaller"][0]["Statement"][0]["Resource"] == \
        "arn:aws:execute-api:us-east-1:123456789012:api/*/POST/internal"
    assert "OtherCaller" not in config.apis["Api"].authorizers["AWS_IAM"].roles  # grants nothing on execute-api
    create_seeded_roles(config, template.parent)  # what `gatepost serve` does at start
    create_seeded_roles(config, template.parent)  # and again at the next start: the same role, policies replaced
    capsys.readouterr()
    assert cli("iam", "assume-role", "InternalCaller", "--session-name", "tests", "--format", "json",
               "--config", str(template)) == 0
    issued = json.loads(capsys.readouterr().out)
    creds = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])

    def signed(gw: Any, method: str, path: str) -> Any:
        request = AWSRequest(method=method, url=gw.url + path, data=b"")
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(request)
        return gw.request(method, path, headers=dict(request.headers.items()))

    with serve_template(template) as gw:
        assert signed(gw, "POST", "/Api/internal").status_code == 200
        assert gw.post("/Api/internal").status_code == 403
    out = cli("check", str(template))
    assert out == 0 and "InternalCaller (AWS::IAM::Role): served: IAM role InternalCaller" in capsys.readouterr().out
