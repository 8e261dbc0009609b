"""Custom domain names and stage method settings of a template, served as AWS serves them: the API answers
under its base path mapping (`/v1/...`), on the Host of its domain name when the template has several, and a
stage's `MethodSettings` / `DefaultRouteSettings` throttles are the stage and route throttles the gateway
enforces; caching, logging and metrics settings are listed as ignored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from template_kit import cli, copy_fixture, serve_template

from gatepost.config.load import load_file


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_fixture("cfn_domains", tmp_path)


def _unserved(response: Any) -> bool:
    """No API answers there: the function was not called."""
    return response.status_code in (403, 404) and "resource" not in response.text


def test_the_api_answers_under_its_base_path_with_the_stage_and_method_throttles(template: Path) -> None:
    with serve_template(template) as gw:
        one = gw.get("/v1/orders/7")
        assert one.status_code == 200, one.text
        # the event's path keeps the base path, as a REST API called through its custom domain sees it
        assert one.json() == {"resource": "/orders/{id}", "path": "/v1/orders/7", "function": "App"}
        assert gw.get("/orders/7").status_code == 403  # not under the mapping: no such resource, as on AWS
        assert gw.get("/v1/orders", headers={"Host": "anything.local"}).status_code == 200  # one domain: any Host
        throttled = gw.get("/v1/orders")  # GET /orders: burst 1, 0.01 a second, every caller together
        assert throttled.status_code == 429
        assert gw.get("/v1/orders/8").status_code == 200  # another method setting: the stage's 100/s


def test_several_domain_names_are_chosen_by_host(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "WithAdmin=yes")
    with serve_template(template) as gw:
        orders = gw.get("/v1/orders/1", headers={"Host": "api.example.com"})
        assert orders.status_code == 200 and orders.json()["resource"] == "/orders/{id}"
        stats = gw.get("/ops/v2/stats", headers={"Host": "admin.example.com:443"})
        assert stats.status_code == 200 and stats.json()["resource"] == "GET /stats"
        assert _unserved(gw.get("/v1/orders/1", headers={"Host": "admin.example.com"}))
        assert _unserved(gw.get("/ops/v2/stats", headers={"Host": "api.example.com"}))
        assert _unserved(gw.get("/v1/orders/1"))  # 127.0.0.1: neither domain name


def test_the_settings_become_throttles_and_the_rest_is_listed(template: Path, capsys: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "WithAdmin=yes")
    config, _ = load_file(template)
    orders, admin = config.apis["Orders"], config.apis["AdminApi"]
    assert (orders.base_path, orders.hosts, admin.base_path, admin.hosts) == \
        ("/v1", ["api.example.com"], "/ops/v2", ["admin.example.com"])
    assert orders.throttle is not None and (orders.throttle.rate, orders.throttle.burst, orders.throttle.by) == \
        (100, 50, "global")
    routes = {r.route: r for r in orders.routes}
    assert routes["GET /orders"].throttle is not None and routes["GET /orders"].throttle.burst == 1
    assert routes["GET /orders/{id}"].throttle is None
    assert admin.throttle is not None and (admin.throttle.rate, admin.throttle.burst) == (20, 10)
    assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "OrdersMapping (AWS::ApiGateway::BasePathMapping): served: API Orders answers under /v1 on Host " \
           "api.example.com" in out
    assert "AdminDomain (AWS::ApiGatewayV2::DomainName): served" in out
    assert "refused: GET /invoices: no route of API Orders matches this method setting" in out
    assert "CachingEnabled of GET /orders ignored: no response cache" in out
    assert "LoggingLevel of the stage ignored" in out


def test_an_api_mapped_at_two_base_paths_is_refused_by_name(template: Path, capsys: Any) -> None:
    text = template.read_text()
    second = text.split("  OrdersMapping:\n")[1].split("  OrdersRecord:")[0].replace("BasePath: v1", "BasePath: v2")
    template.write_text(text.replace("  OrdersRecord:", "  OrdersMappingV2:\n" + second + "  OrdersRecord:"))
    config, _ = load_file(template)
    assert config.apis["Orders"].base_path == "/"
    assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "OrdersMappingV2 (AWS::ApiGateway::BasePathMapping): refused: API Orders is mapped at several base " \
           "paths (/v1, /v2)" in out


def test_a_deployments_stage_description_is_its_stages_settings(template: Path, capsys: Any) -> None:
    text = template.read_text()
    stage = text.split("  OrdersStage:\n")[1].split("  OrdersDomain:")[0]
    deployment = ("  OrdersDeployment:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: [ListOrders, GetOrder]\n"
                  "    Properties:\n      RestApiId: !Ref Orders\n      StageName: live\n      StageDescription:\n"
                  "        ThrottlingRateLimit: 40\n        ThrottlingBurstLimit: 30\n        MetricsEnabled: true\n"
                  "        MethodSettings:\n"
                  "          - {ResourcePath: '/~1orders~1{id}', HttpMethod: GET, ThrottlingRateLimit: 0.01, "
                  "ThrottlingBurstLimit: 1}\n")
    text = text.replace("  OrdersStage:\n" + stage, "")
    text = text.replace("      Stage: !Ref OrdersStage\n", "      Stage: live\n")
    template.write_text(text.split("  OrdersDeployment:\n")[0] + deployment + "  OrdersDomain:" +
                        text.split("  OrdersDomain:")[1])
    config, _ = load_file(template)
    orders = config.apis["Orders"]
    assert (orders.stage, orders.base_path) == ("live", "/v1")  # the mapping's Stage: live is the one served
    assert orders.throttle is not None and (orders.throttle.rate, orders.throttle.burst) == (40, 30)
    routes = {r.route: r for r in orders.routes}
    assert routes["GET /orders/{id}"].throttle is not None and routes["GET /orders"].throttle is None
    with serve_template(template) as gw:
        assert gw.get("/v1/orders/1").status_code == 200
        assert gw.get("/v1/orders/2").status_code == 429  # GET /orders/{id}: burst 1, every caller together
        assert gw.get("/v1/orders").status_code == 200
    assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "OrdersDeployment (AWS::ApiGateway::Deployment): served: its StageDescription: the stage of API " \
           "Orders" in out
    assert "MetricsEnabled of the stage ignored" in out
