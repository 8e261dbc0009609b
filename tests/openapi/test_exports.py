"""The exports people actually have (fixtures written from AWS's documented shapes): SAM's security forms,
alternative authorizers, AWS service integrations (refused by name, or served as AWS's 500 after
authorization), documentation-style documents, shared integrations by $ref, OpenAPI 3.1, the flavour
rule, and `import -o` into another folder (relative paths rewritten; the result served)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatepost.config.load import Located
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.context import ImportOptions
from gatepost.openapi.convert import Imported, convert
from gatepost.openapi.document import Document
from gatepost.openapi.flavour import decide
from support import REPO, run_gateway

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GATEPOST = [sys.executable, "-m", "gatepost"]
ALLOW = {"Authorization": "Bearer allow-me"}  # what fixtures/authorizers.py:token allows


def _import(name: str, **options: Any) -> Imported:
    path = FIXTURES / name
    data = Located(str(path), path.read_text(encoding="utf-8")).data
    return convert(data, Bindings.model_validate(data.get("x-gatepost-bindings") or {}), ImportOptions(**options))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATEPOST, "import", *args], capture_output=True, text=True, cwd=REPO, timeout=60)


def test_sam_security_entries_are_enforced_together() -> None:
    imported = _import("sam_security.yaml")
    assert not imported.report.refused
    routes = {r["route"]: r for r in imported.config["apis"]["sam-security"]["routes"]}
    for key in ("GET /sam", "GET /together"):
        assert (routes[key]["authorizer"], routes[key]["api_key_required"]) == ("MyAuth", True)
    with run_gateway(yaml.safe_dump(imported.config), config_dir=FIXTURES) as gw:
        assert gw.get("/sam", headers={"x-api-key": "k" * 30}).status_code == 401  # key, no token
        assert gw.get("/sam", headers=ALLOW).status_code == 403  # token, no key: both are required


def test_alternative_authorizers_are_refused_with_the_reason() -> None:
    path = FIXTURES / "sam_security.yaml"
    data = yaml.safe_load(path.read_text())
    data["components"]["securitySchemes"]["Other"] = data["components"]["securitySchemes"]["MyAuth"]
    data["paths"]["/sam"]["get"]["security"] = [{"MyAuth": []}, {"Other": []}]
    imported = convert(data, Bindings.model_validate(data["x-gatepost-bindings"]), ImportOptions(accept_partial=True))
    [refused] = imported.report.refused
    assert refused.pointer == "/paths/~1sam/get/security/1/Other"
    assert "alternative authorizers; API Gateway allows one authorizer per method" in refused.detail
    assert imported.left_out == ["GET /sam"]


def test_an_aws_service_integration_is_refused_by_name() -> None:
    out = _cli(str(FIXTURES / "aws_service.json"))
    assert out.returncode == 1
    assert "/paths/~1orders/post/x-amazon-apigateway-integration: operation POST /orders: the AWS service " \
           "integration dynamodb action/PutItem cannot run here" in out.stderr
    assert "--stub-aws-services" in out.stderr


def test_a_stubbed_aws_service_answers_aws_500_after_authorization(tmp_path: Path) -> None:
    """Imported into another folder: the authorizer's handler path is rewritten, and the result serves."""
    target = tmp_path / "out" / "gatepost.yaml"
    target.parent.mkdir()
    out = _cli(str(FIXTURES / "aws_service.json"), "--stub-aws-services", "-o", str(target))
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load(target.read_text())
    function = config["apis"]["orders-table"]["authorizers"]["TokenAuth"]["function"]
    module, attr = function.split(":")
    assert module.endswith("/authorizers") and attr == "token"
    assert (target.parent / module).resolve() == REPO / "tests" / "explain" / "golden" / "authorizers"
    with run_gateway(target.read_text(), config_dir=target.parent) as gw:
        assert gw.post("/orders", json={"a": 1}).status_code == 401  # the authorizer still runs
        stub = gw.post("/orders", json={"a": 1}, headers=ALLOW)
        assert (stub.status_code, stub.json()) == (500, {"message": "Internal server error"})


def test_a_documentation_style_document_is_refused_operation_by_operation() -> None:
    out = _cli(str(FIXTURES / "documentation.yaml"))
    assert out.returncode == 1
    assert "/paths/~1widgets/get: operation GET /widgets has no x-amazon-apigateway-integration" in out.stderr
    imported = _import("documentation.yaml", accept_partial=True)
    fates = {e.pointer: str(e.fate) for e in imported.report.elements}
    assert fates["/openapi"] == "converted" and fates["/jsonSchemaDialect"] == "equivalent"
    assert fates["/paths/~1widgets/get/summary"] == "equivalent"


def test_shared_integrations_are_followed_by_ref() -> None:
    imported = _import("shared_integrations.yaml")
    assert not imported.report.refused, imported.report.refused
    routes = imported.config["apis"]["shared"]["routes"]
    assert [r["integration"]["handler"] for r in routes] == ["../../explain/golden/backend:handler"] * 2
    fates = {e.pointer: e for e in imported.report.elements}
    assert "#components/x-amazon-apigateway-integrations/backend" in \
        fates["/paths/~1a/get/x-amazon-apigateway-integration"].detail
    assert fates["/components/x-amazon-apigateway-integrations/backend/uri"].fate == "converted"
    assert "referred to by no operation" in fates["/components/x-amazon-apigateway-integrations/unused"].detail


@pytest.mark.parametrize(("name", "override", "expected"), [
    ("shared_integrations.yaml", None, "flavour: http (HTTP API mark /x-amazon-apigateway-importexport-version; "
                                       "--flavour rest overrides)"),
    ("sam_security.yaml", None, "flavour: rest (no HTTP API mark in the document; --flavour http overrides)"),
    ("sam_security.yaml", "http", "flavour: http (--flavour http)"),
])
def test_the_flavour_is_stated_with_its_reason(name: str, override: str | None, expected: str) -> None:
    data = yaml.safe_load((FIXTURES / name).read_text())
    assert decide(Document(data), override).statement() == expected


def test_flavour_override_on_the_command_line() -> None:
    out = _cli(str(FIXTURES / "sam_security.yaml"), "--flavour", "http")
    assert out.returncode == 1  # token authorizers and API keys exist on REST APIs only
    assert "flavour: http (--flavour http)" in out.stderr and "API keys exist on REST APIs only" in out.stderr


def test_swagger2_and_openapi31_read_alike() -> None:
    data = json.loads((FIXTURES / "aws_service.json").read_text())
    del data["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"]["requestTemplates"]
    data["paths"]["/orders"]["post"]["x-amazon-apigateway-integration"] = {
        "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 201}'},
        "responses": {"default": {"statusCode": "201"}}}
    v31 = {**data, "openapi": "3.1.0"}
    v2 = {k: v for k, v in data.items() if k not in ("openapi", "components")}
    v2 |= {"swagger": "2.0", "securityDefinitions": data["components"]["securitySchemes"]}
    bindings = Bindings.model_validate(data["x-gatepost-bindings"])
    configs = [convert(d, bindings).config for d in (data, v31, v2)]
    assert configs[0] == configs[1] == configs[2]
    assert configs[0]["apis"]["orders-table"]["routes"][0]["integration"] == {"type": "mock", "status": 201}
