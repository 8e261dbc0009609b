"""AWS OpenAPI import: golden files (document in -> native config and explain table out), every refusal
names its operation, and a gateway serving an export directly answers as the export says."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gatepost.cli import main
from gatepost.config.load import load_file, load_text
from gatepost.errors import ConfigError
from gatepost.explain.explain import explain, render_table
from gatepost.explain.load import load
from support import REPO, run_gateway, run_upstream

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GATEPOST_UPDATE_GOLDEN") == "1"
GATEPOST = [sys.executable, "-m", "gatepost"]


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs (GATEPOST_UPDATE_GOLDEN=1 rewrites it)"


@pytest.mark.parametrize("doc", ["rest", "http"])
def test_import_writes_the_golden_native_config(doc: str) -> None:
    out = subprocess.run([*GATEPOST, "import", str(GOLDEN / f"{doc}.json")], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    golden(f"{doc}.native.yaml", out.stdout)
    assert "PUBLIC" in out.stderr  # the operation without authorization is listed loudly


@pytest.mark.parametrize("doc", ["rest", "http"])
def test_explain_table_of_the_document_is_golden(doc: str) -> None:
    golden(f"{doc}.explain.txt", render_table(explain(load(GOLDEN / f"{doc}.json"))))


@pytest.mark.parametrize("doc", ["rest", "http"])
def test_native_output_compiles_to_the_same_routes(doc: str, tmp_path: Path) -> None:
    native = tmp_path / "gatepost.yaml"
    native.write_text((GOLDEN / f"{doc}.native.yaml").read_text(), encoding="utf-8")
    for name in ("authorizers.py", "backend.py"):
        (tmp_path / name).write_text((GOLDEN / name).read_text(), encoding="utf-8")
    from_doc, from_native = explain(load(GOLDEN / f"{doc}.json")), explain(load(native))
    assert [r.as_dict() for r in from_doc] == [r.as_dict() for r in from_native]


def test_rest_import_details() -> None:
    config, _ = load_file(GOLDEN / "rest.json")
    api = config.apis["reference-rest"]
    assert (api.flavour, api.stage, api.api_id, api.account_id) == ("rest", "prod", "abcdef123", "123456789012")
    routes = {r.route: r for r in api.routes}
    assert routes["GET /public"].public and routes["GET /public"].authorizer is None
    assert routes["GET /metered"].api_key_required and routes["GET /metered"].authorizer == "TokenAuth"
    assert routes["GET /orders"].scopes == ["https://api.example.com/orders.read"]
    assert routes["ANY /{proxy+}"].integration.url == "http://127.0.0.1:9000/{proxy}"
    assert api.authorizers["RequestAuth"].identity_sources == ["header.x-tenant-token", "query.sig",
                                                                "context.resourcePath"]
    assert api.authorizers["RequestAuth"].result_ttl == 60 and api.authorizers["TokenAuth"].result_ttl == 300
    assert api.gateway_responses["UNAUTHORIZED"].headers == {"WWW-Authenticate": "'Bearer'"}


def test_public_operations_are_logged_loudly(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gatepost.openapi"):
        load_file(GOLDEN / "http.json")
    assert any("public_route" in r.getMessage() and "$default" in r.getMessage() for r in caplog.records)


def _doc(paths: dict, schemes: dict | None = None, **root: object) -> str:
    data = {"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"securitySchemes": schemes or {}}, **root}
    return json.dumps(data, indent=1)


LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
              "arn:aws:lambda:us-east-1:123456789012:function:{}/invocations")
PROXY = {"type": "aws_proxy", "httpMethod": "POST", "uri": LAMBDA_URI.format("backend")}
MOCK = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200"}}}
TOKEN_SCHEME = {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": LAMBDA_URI.format("auth")}}


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_text(text, "api.json", env={})
    return [str(i) for i in info.value.issues]


def test_unbound_function_is_an_error_naming_the_operation() -> None:
    found = _problems(_doc({"/pets": {"get": {"x-amazon-apigateway-integration": PROXY}}}))
    assert len(found) == 1
    assert "api.json:13: /paths/~1pets/get/x-amazon-apigateway-integration/uri:" in found[0]
    assert "function:backend is not bound" in found[0] and "functions:" in found[0]


def test_non_proxy_integration_with_mapping_templates_is_refused() -> None:
    integ = {"type": "aws", "httpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:dynamodb:action/GetItem",
             "requestTemplates": {"application/json": "{\"TableName\": \"$input.params('t')\"}"}}
    found = _problems(_doc({"/items": {"get": {"x-amazon-apigateway-auth": {"type": "NONE"},
                                               "x-amazon-apigateway-integration": integ}}}))
    assert any("operation GET /items: the AWS service integration dynamodb action/GetItem cannot run here" in f
               and "--stub-aws-services" in f for f in found), found


@pytest.mark.parametrize(("op", "schemes", "expected"), [
    ({"security": [{"A": []}, {"B": []}]}, {"A": TOKEN_SCHEME, "B": TOKEN_SCHEME},
     "alternative authorizers; API Gateway allows one authorizer per method"),
    ({"security": [{"Bearer": []}]}, {"Bearer": {"type": "http", "scheme": "bearer"}},
     "not an API Gateway authorizer"),
    ({"security": [{"Missing": []}]}, {}, "'Missing' is not declared"),
    ({"security": [{"T": []}], "x-amazon-apigateway-auth": {"type": "NONE"}}, {"T": TOKEN_SCHEME}, "contradicts"),
    ({"security": [{"T": ["read"]}]}, {"T": TOKEN_SCHEME}, "only Cognito and JWT authorizers check scopes"),
    ({"x-amazon-apigateway-request-parameters": {}}, {}, "/paths/~1pets/get/x-amazon-apigateway-request-parameters: "
                                                          "not read by the importer"),
])
def test_security_problems_name_the_operation(op: dict, schemes: dict, expected: str) -> None:
    bindings = {"functions": {"backend": {"url": "http://127.0.0.1:9"}, "auth": {"url": "http://127.0.0.1:9"}}}
    text = _doc({"/pets": {"get": {**op, "x-amazon-apigateway-integration": PROXY}}}, schemes,
                **{"x-gatepost-bindings": bindings})
    found = _problems(text)
    assert any(expected in f and ("GET /pets" in f or "/paths/~1pets/get" in f) for f in found), found


def test_vtl_in_mock_and_gateway_response_templates_is_refused() -> None:
    mock = {**MOCK, "responses": {"default": {"statusCode": "200",
                                              "responseTemplates": {"application/json": "#set($x = 1)"}}}}
    responses = {"DEFAULT_4XX": {"responseTemplates": {"application/json": '{"m": "$context.authorizer.x"}'}}}
    found = _problems(_doc({"/m": {"get": {"x-amazon-apigateway-auth": {"type": "NONE"},
                                           "x-amazon-apigateway-integration": mock}}},
                           **{"x-amazon-apigateway-gateway-responses": responses}))
    assert any("$context.authorizer.x is not supported" in f for f in found)


def test_compile_errors_point_into_the_document() -> None:
    """A problem found after conversion (here: an unknown gateway response type) names the document's line."""
    text = _doc({"/m": {"get": {"x-amazon-apigateway-auth": {"type": "NONE"},
                                "x-amazon-apigateway-integration": MOCK}}},
                **{"x-amazon-apigateway-gateway-responses": {"NOT_A_TYPE": {"statusCode": "400"}}})
    config, doc = load_text(text, "api.json", env={})
    from gatepost.config.compile import compile_gateway
    from gatepost.services import Services

    with pytest.raises(ConfigError) as info:
        compile_gateway(config, doc, Services(), REPO)
    issue = str(info.value.issues[0])
    assert "NOT_A_TYPE" in issue and "(from x-amazon-apigateway-gateway-responses)" in issue and "api.json:" in issue


def test_swagger2_export_imports() -> None:
    doc = {"swagger": "2.0", "info": {"title": "Pets v2", "version": "1"}, "basePath": "/dev",
           "host": "xyz789.execute-api.eu-west-1.amazonaws.com",
           "securityDefinitions": {"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                                             "x-amazon-apigateway-authtype": "awsSigv4"},
                                   "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
           "paths": {"/pets/{id}": {"get": {"security": [{"sigv4": [], "api_key": []}],
                                            "x-amazon-apigateway-integration": {
                                                "type": "http_proxy", "httpMethod": "GET",
                                                "uri": "http://127.0.0.1:9000/pets/{id}"}}}}}
    config, _ = load_text(json.dumps(doc), "pets.json", env={})
    api = config.apis["pets-v2"]
    assert (api.stage, api.api_id, api.region) == ("dev", "xyz789", "eu-west-1")
    route = api.routes[0]
    assert (route.route, route.authorizer, route.api_key_required) == ("GET /pets/{id}", "sigv4", True)
    assert api.authorizers["sigv4"].type == "iam"


def test_bindings_sidecar_file_and_flag(tmp_path: Path) -> None:
    doc = tmp_path / "api.json"
    doc.write_text(_doc({"/pets": {"get": {"security": [{"T": []}], "x-amazon-apigateway-integration": PROXY}}},
                        {"T": TOKEN_SCHEME}))
    with pytest.raises(ConfigError):
        load_file(doc, env={})
    (tmp_path / "api.bindings.yaml").write_text("functions: {backend: {url: 'http://127.0.0.1:9'}, auth: 'a:b'}\n")
    config, _ = load_file(doc, env={})
    assert config.apis["t"].authorizers["T"].function == "a:b"
    other = tmp_path / "elsewhere.yaml"
    other.write_text("functions: {backend: {url: 'http://127.0.0.1:9'}, auth: 'c:d'}\napi: {name: pets}\n")
    config, _ = load_file(doc, env={"GATEPOST_BINDINGS": str(other)})
    assert config.apis["pets"].authorizers["T"].function == "c:d"
    assert main(["check", str(doc), "--bindings", str(other)]) == 1  # c:d cannot be imported: located error


def test_a_gateway_serves_the_export(caplog: pytest.LogCaptureFixture) -> None:
    """The document itself is the config: public mock, Lambda TOKEN authorizer, http_proxy to a real upstream."""
    data = json.loads((GOLDEN / "rest.json").read_text())
    with run_upstream() as up:
        data["x-gatepost-bindings"] = yaml.safe_load((GOLDEN / "rest.bindings.yaml").read_text())
        data["x-gatepost-bindings"]["urls"] = {"https://backend.example.com": up.url}
        with run_gateway(json.dumps(data), config_dir=GOLDEN) as gw:
            assert gw.get("/public").status_code == 200
            assert gw.get("/anything/else").status_code == 401  # TOKEN authorizer, no token
            assert up.count == 0
            ok = gw.get("/anything/else", headers={"Authorization": "Bearer allow-me"})
            assert ok.status_code == 200 and ok.json()["path"] == "/anything/else"
            denied = gw.get("/anything/else", headers={"Authorization": "Bearer not-me"})
            assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
            assert up.count == 1


def test_binary_media_types_are_imported_on_rest_apis() -> None:
    text = _doc({"/img": {"get": {"x-amazon-apigateway-integration": MOCK}}},
                **{"x-amazon-apigateway-binary-media-types": ["image/png", "application/octet-stream"]})
    config, _ = load_text(text, "api.json", env={})
    assert next(iter(config.apis.values())).binary_media_types == ["image/png", "application/octet-stream"]


def test_binary_media_types_on_http_apis_are_refused() -> None:
    from gatepost.bootstrap import build_gateway
    from gatepost.stores.memory import MemoryCatalog

    text = 'apis:\n  shop:\n    flavour: http\n    binary_media_types: ["image/*"]\n' \
           '    routes:\n      - {route: "GET /x", public: true, integration: {mock: {status: 200}}}\n'
    with pytest.raises(ConfigError, match="binary_media_types applies to rest APIs only"):
        build_gateway(text=text, catalog=MemoryCatalog())
