"""A plain CloudFormation template (JSON) whose APIs are built from raw resources: AWS::ApiGateway::Resource/
Method/Authorizer and AWS::ApiGatewayV2::Route/Integration/Authorizer, a CDK-style asset folder and an
inline (ZipFile) Python authorizer, a resource policy fed by a CommaDelimitedList parameter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from template_kit import cli, copy_fixture, serve_template, user_tokens

from gatepost.config.load import load_file
from gatepost.errors import ConfigError


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_fixture("cfn_raw", tmp_path).with_name("template.json")


def test_raw_rest_and_http_resources_are_served_with_their_authorizers(template: Path, capsys: Any) -> None:
    tokens = user_tokens(template, capsys)
    assert cli("keys", "import", "partner", "--value", "OrdersPartnerKey0123456789", "--plan", "Plan",
               "--config", str(template)) == 0
    bearer = {"Authorization": f"Bearer {tokens['IdToken']}"}
    with serve_template(template) as gw:
        assert gw.get("/").json() == {"pong": True}  # MOCK integration, AuthorizationType NONE
        assert gw.get("/orders").status_code == 401  # COGNITO_USER_POOLS by ProviderARNs
        orders = gw.get("/orders", headers=bearer)
        assert orders.status_code == 200 and orders.json()["resource"] == "/orders"
        key = {"x-api-key": "OrdersPartnerKey0123456789"}
        assert gw.get("/orders/7", headers={"X-Token": "allow-me"}).status_code == 403  # no API key
        assert gw.get("/orders/7", headers={**key, "X-Token": "deny-me"}).status_code == 403  # TOKEN authorizer Deny
        order = gw.get("/orders/7", headers={**key, "X-Token": "allow-me"})
        assert order.status_code == 200 and order.json()["authorizer"]["principalId"] == "token-user"
        assert gw.request("DELETE", "/orders/7").json() == {"message": "Missing Authentication Token"}  # AWS_IAM
        # the HTTP API: JWT authorizer on the pool's issuer (Fn::Join) and client id; $default needs IAM
        assert gw.get("/http/orders").status_code == 401
        assert gw.get("/http/orders", headers=bearer).status_code == 200
        assert gw.get("/http/anything").status_code == 403


def test_a_comma_delimited_list_parameter_reaches_the_resource_policy_as_a_list(
        template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = load_file(template)
    deny = config.apis["Rest"].resource_policy["Statement"][1]
    assert deny["Condition"]["NotIpAddress"]["aws:SourceIp"] == ["127.0.0.0/8", "10.0.0.0/8"]
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "AllowedCidrs=10.0.0.0/8,192.168.0.0/16")
    with serve_template(template) as gw:  # 127.0.0.1 is now outside: the resource policy denies it first
        assert gw.get("/").status_code == 403


def test_what_came_from_where(template: Path) -> None:
    config, _ = load_file(template)
    rest, http = config.apis["Rest"], config.apis["Http"]
    assert (rest.flavour, rest.stage, http.flavour, http.base_path) == ("rest", "v1", "http", "/http")
    assert {r.route for r in rest.routes} == {"GET /orders", "GET /orders/{id}", "DELETE /orders/{id}", "GET /"}
    assert rest.authorizers["token"].kind == "token" and rest.authorizers["token"].result_ttl == 0
    assert rest.authorizers["pool"].builtin == "Pool"
    assert http.authorizers["pooljwt"].app_clients == ["poolclient"]
    assert {r.route for r in http.routes} == {"GET /orders", "$default"}
    assert config.usage.demo_key is not None and config.usage.demo_key.value == "OrdersPartnerKey0123456789"


def test_a_route_on_a_function_that_cannot_run_here_is_refused_by_name(template: Path) -> None:
    data = json.loads(template.read_text())
    data["Resources"]["GetOrder"]["Properties"]["Integration"]["Uri"]["Fn::Sub"][1]["F"] = \
        {"Fn::GetAtt": ["Java", "Arn"]}
    template.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as exc:
        load_file(template)
    text = "\n".join(str(i) for i in exc.value.issues)
    assert "function Java cannot run here: runtime java21" in text
    assert "Resources.GetOrder" in text  # the method whose integration names it


def test_check_lists_the_refused_function_and_the_notes(template: Path, capsys: Any) -> None:
    assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "Java (AWS::Lambda::Function): refused: runtime java21" in out
    assert "TokenAuth (AWS::Lambda::Function): served: runs in-process as .gatepost/inline/TokenAuth/index:handler" \
        in out
    assert "Widget (Custom::Widget): ignored" in out and "USER_SRP_AUTH" in out
