"""A CDK app's real synthesized output (tests/templates/fixtures/cdk_app: app.js, synthesized once with the
CDK CLI and committed): served as a cdk.out folder and as its stack template, every caller check that CDK
wrote enforced route by route (Cognito user pool, TOKEN Lambda authorizer, IAM, API key + usage plan)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from template_kit import FIXTURES, cli, serve_template, user_tokens

from gatepost.config.load import load_file
from gatepost.errors import ConfigError
from gatepost.iam.seed_roles import create_seeded_roles
from gatepost.usage.demo import create_demo_key

KEY = "CdkFixtureKey0123456789"  # the MeteredKey's Value in app.js
STACK = "OrdersStack.template.json"


@pytest.fixture
def cdk_out(tmp_path: Path) -> Path:
    folder = tmp_path / "cdk.out"
    shutil.copytree(FIXTURES / "cdk_app" / "cdk.out", folder)
    return folder


def _signed_as(role: str, target: Path, capsys: Any) -> Any:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    capsys.readouterr()
    assert cli("iam", "assume-role", role, "--session-name", "tests", "--format", "json", "--config", str(target)) == 0
    issued = json.loads(capsys.readouterr().out)
    creds = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])

    def get(gw: Any, path: str) -> Any:
        request = AWSRequest(method="GET", url=gw.url + path, data=b"")
        SigV4Auth(creds, "execute-api", "us-east-1").add_auth(request)
        return gw.get(path, headers=dict(request.headers.items()))

    return get


@pytest.mark.parametrize("which", ["folder", "template"])
def test_every_authorizer_of_the_synthesized_app_is_enforced(which: str, cdk_out: Path, capsys: Any) -> None:
    target = cdk_out if which == "folder" else cdk_out / STACK
    config, _ = load_file(target)
    create_demo_key(config, target.parent)  # what `gatepost serve` does at its first start
    create_seeded_roles(config, target.parent)
    tokens = user_tokens(target, capsys)
    signed_get = _signed_as("AdminCallerF78D1D19", target, capsys)
    with serve_template(target) as gw:
        # no authorizer, no key: public, served by the asset folder's function with the app's Environment
        health = gw.get("/health")
        assert health.status_code == 200, health.text
        assert health.json()["greeting"] == "hello from cdk" and health.json()["path"] == "/health"
        # COGNITO_USER_POOLS: no token 401, a stranger's token 401, the pool's ID token gets in
        assert gw.get("/orders").status_code == 401
        assert gw.get("/orders", headers={"Authorization": "eyJhbGciOiJIUzI1NiJ9.e30.x"}).status_code == 401
        orders = gw.get("/orders", headers={"Authorization": tokens["IdToken"]})
        assert orders.status_code == 200, orders.text
        assert orders.json()["claims"] == "alice"
        # TOKEN Lambda authorizer: the validation expression refuses before the Lambda, the Lambda refuses,
        # then lets a partner in with its principalId
        assert gw.get("/partners").status_code == 401
        assert gw.get("/partners", headers={"Authorization": "Token partner-acme"}).status_code == 401
        assert gw.get("/partners", headers={"Authorization": "Bearer stranger"}).status_code == 401
        partner = gw.get("/partners", headers={"Authorization": "Bearer partner-acme"})
        assert partner.status_code == 200, partner.text
        assert partner.json()["principal"] == "acme"
        # AWS_IAM: unsigned refused; the template's AdminCaller role (an AWS::IAM::Policy CDK attached to it)
        # may call GET /admin and nothing else
        assert gw.get("/admin").json() == {"message": "Missing Authentication Token"}
        admin = signed_get(gw, "/admin")
        assert admin.status_code == 200, admin.text
        assert admin.json()["user_arn"] and "AdminCaller" in admin.json()["user_arn"]
        assert signed_get(gw, "/health").status_code == 200  # public route: a signature changes nothing
        assert signed_get(gw, "/orders").status_code == 401  # the pool's route wants the pool's token
        # API key + usage plan (quota 3 a day): no key 403, a wrong key 403, the template's key 3 times, then 429
        assert gw.get("/metered").status_code == 403
        assert gw.get("/metered", headers={"x-api-key": "not-the-key-000000000000"}).status_code == 403
        for _ in range(3):
            metered = gw.get("/metered", headers={"x-api-key": KEY})
            assert metered.status_code == 200, metered.text
            assert metered.json()["api_key_id"]
        over = gw.get("/metered", headers={"x-api-key": KEY})
        assert over.status_code == 429 and over.json() == {"message": "Limit Exceeded"}


def test_the_synthesized_resources_become_gatepost_config(cdk_out: Path) -> None:
    config, _ = load_file(cdk_out)
    [api] = config.apis.values()
    assert api.stage == "prod"
    routes = {r.route: r for r in api.routes}
    assert set(routes) == {"GET /orders", "GET /partners", "GET /admin", "GET /metered", "GET /health"}
    assert routes["GET /admin"].authorizer == "AWS_IAM"
    assert routes["GET /metered"].api_key_required and routes["GET /metered"].public
    assert routes["GET /health"].public
    assert routes["GET /orders"].integration.handler.startswith(
        str((cdk_out / "asset.8bc0a0af9e7ac91dd8990f6bc404ed17eaf7951433c6cb16a1d46b5827ef4c6e").resolve()))
    token = api.authorizers[routes["GET /partners"].authorizer]
    assert (token.kind, token.identity_validation_expression, token.result_ttl) == \
        ("token", "^Bearer [-0-9a-zA-Z._]+$", 0)
    assert api.authorizers[routes["GET /orders"].authorizer].builtin == "PoolD3F588B8"
    [plan] = config.usage_plans.values()
    assert (plan.throttle.rate, plan.throttle.burst, plan.quota.limit) == (50, 20, 3)


def test_check_gives_every_synthesized_resource_a_fate(cdk_out: Path, capsys: Any) -> None:
    assert cli("check", str(cdk_out)) == 0
    out = capsys.readouterr().out
    template = json.loads((cdk_out / STACK).read_text())
    for logical_id, resource in template["Resources"].items():
        assert f"{logical_id} ({resource['Type']}): " in out
    assert "AdminCallerDefaultPolicy89F1974A (AWS::IAM::Policy): served" in out
    assert "PUBLIC: OrdersApi48294D44: GET /health" in out


def test_a_cdk_out_folder_with_two_stacks_names_them(cdk_out: Path) -> None:
    (cdk_out / "manifest.json").unlink()
    shutil.copy(cdk_out / STACK, cdk_out / "Other.template.json")
    with pytest.raises(ConfigError) as exc:
        load_file(cdk_out)
    assert f"{STACK}, Other.template.json" in exc.value.issues[0].problem


def test_explain_and_audit_read_the_cdk_out_folder(cdk_out: Path, capsys: Any) -> None:
    assert cli("explain", str(cdk_out)) == 0
    out = capsys.readouterr().out
    for route, kind in (("GET /orders", "user_pool"), ("GET /partners", "lambda"), ("GET /admin", "iam"),
                        ("GET /health", "none")):
        assert any(route in line and kind in line for line in out.splitlines()), (route, out)
    assert cli("audit", str(cdk_out), "--fail-on", "never") == 0
    out = capsys.readouterr().out
    assert any("api_key.only_control" in line and "GET /metered" in line for line in out.splitlines())
    assert any("route.public " in line and "GET /health" in line for line in out.splitlines())


def test_a_key_value_api_gateway_would_refuse_is_named_at_check(cdk_out: Path, capsys: Any) -> None:
    stack = cdk_out / STACK
    stack.write_text(stack.read_text().replace(f'"Value": "{KEY}"', '"Value": "cdk-fixture-key-0123456789"'))
    config, _ = load_file(cdk_out)
    assert config.usage.demo_key is None  # not created at the first start
    assert cli("check", str(cdk_out)) == 0
    assert "API key OrdersApiMeteredKey0B7427A6: its Value is not 20 to 128 letters and digits" in \
        capsys.readouterr().out
