"""The import's promise, element by element: every part of a document ends converted, converted to a
documented equivalent, or refused with its JSON pointer; refusals fail the import unless a partial import
is accepted, and then they are in the config (as comments and `not_imported`) and in explain's output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatepost.config.load import Located
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.context import ImportOptions
from gatepost.openapi.convert import Imported, convert
from gatepost.openapi.fates import Fate, Ledger, pointer
from support import REPO

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVERY = FIXTURES / "every_element.yaml"
GATEPOST = [sys.executable, "-m", "gatepost"]
C, E, R = Fate.CONVERTED, Fate.EQUIVALENT, Fate.REFUSED
INTEG = "/paths/~1private~1{id}/get/x-amazon-apigateway-integration"
PETS = "/paths/~1pets/get/x-amazon-apigateway-integration"
AUTH = "/components/securitySchemes/TokenAuth/x-amazon-apigateway-authorizer"


def _import(path: Path, **options: Any) -> Imported:
    data = Located(str(path), path.read_text(encoding="utf-8")).data
    return convert(data, Bindings.model_validate(data.get("x-gatepost-bindings") or {}), ImportOptions(**options))


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
    if not items:
        yield path
        return
    for key, child in items:
        yield from _leaves(child, (*path, key))


# (JSON pointer, fate, words of the detail): one line per element of every_element.yaml that has a fate of its own
EXPECTED = [
    ("/openapi", C, "OpenAPI 3.0.1"),
    ("/info", C, "names the API"),
    ("/servers", C, "api_id, region and stage"),
    ("/tags", E, "documentation"),
    ("/x-amazon-apigateway-api-key-source", C, "api_key_source"),
    ("/x-amazon-apigateway-binary-media-types", C, "binary_media_types"),
    ("/x-amazon-apigateway-minimum-compression-size", E, "uncompressed"),
    ("/x-amazon-apigateway-endpoint-configuration/types", R, "PRIVATE API"),
    ("/x-amazon-apigateway-endpoint-configuration/vpcEndpointIds", R, "vpcEndpointIds"),
    ("/x-amazon-apigateway-policy", C, "resource_policy"),
    ("/x-amazon-apigateway-gateway-responses/ACCESS_DENIED/statusCode", C, "gateway_responses.ACCESS_DENIED"),
    ("/x-amazon-apigateway-gateway-responses/ACCESS_DENIED/responseTemplates", C, "gateway_responses.ACCESS_DENIED"),
    ("/x-amazon-apigateway-gateway-responses/ACCESS_DENIED/futureResponseSetting", R, "not read by the importer"),
    ("/x-amazon-apigateway-something-new", R, "not read by the importer"),
    ("/x-gatepost-bindings", C, "bindings"),
    ("/components/schemas", E, "request validator"),
    ("/components/securitySchemes/api_key", C, "x-api-key"),
    ("/components/securitySchemes/Unused", E, "used by no operation"),
    ("/components/securitySchemes/TokenAuth/type", C, "authorizers.TokenAuth"),
    ("/components/securitySchemes/TokenAuth/x-amazon-apigateway-authtype", C, "authorizers.TokenAuth"),
    ("/components/securitySchemes/TokenAuth/name", C, "authorizers.TokenAuth"),
    ("/components/securitySchemes/TokenAuth/in", C, "authorizers.TokenAuth"),
    (f"{AUTH}/type", C, "authorizers.TokenAuth (lambda)"),
    (f"{AUTH}/authorizerUri", C, "authorizers.TokenAuth"),
    (f"{AUTH}/authorizerCredentials", E, "called directly"),
    (f"{AUTH}/authorizerResultTtlInSeconds", C, "authorizers.TokenAuth"),
    (f"{AUTH}/futureAuthorizerSetting", R, "not read by the importer"),
    ("/paths/~1pets/summary", E, "documentation"),
    ("/paths/~1pets/get/operationId", E, "documentation"),
    ("/paths/~1pets/get/responses", E, "documentation"),
    ("/paths/~1pets/get/security/0/TokenAuth", C, "authorizer: TokenAuth"),
    ("/paths/~1pets/get/security/0/api_key", C, "api_key_required"),
    (f"{PETS}/type", C, "aws_proxy"),
    (f"{PETS}/uri", C, "backend:handler"),
    (f"{PETS}/credentials", E, "no IAM role"),
    (f"{PETS}/passthroughBehavior", E, "proxy integrations"),
    (f"{PETS}/timeoutInMillis", C, "timeout_ms"),
    (f"{PETS}/httpMethod", E, "POST"),
    ("/paths/~1private~1{id}/get/parameters", E, "not validated"),
    ("/paths/~1private~1{id}/get/responses", E, "documentation"),
    ("/paths/~1private~1{id}/get/security/0/TokenAuth", C, "authorizer: TokenAuth"),
    (f"{INTEG}/type", C, "http_proxy"),
    (f"{INTEG}/httpMethod", C, "the caller's method"),
    (f"{INTEG}/uri", C, "http://127.0.0.1:9000/items/{id}"),
    (f"{INTEG}/connectionType", E, "VPC link"),
    (f"{INTEG}/connectionId", E, "VPC link"),
    (f"{INTEG}/tlsConfig/insecureSkipVerification", E, "verified"),
    (f"{INTEG}/tlsConfig/serverNameToVerify", R, "serverNameToVerify"),
    (f"{INTEG}/requestParameters/integration.request.path.id", C, "fills {id}"),
    (f"{INTEG}/cacheKeyParameters", R, "caching"),
    (f"{INTEG}/cacheNamespace", E, "nothing is cached"),
    (f"{INTEG}/someUnknownKey", R, "not read by the importer"),
    ("/paths/~1health/get/x-amazon-apigateway-auth/type", C, "public: true"),
    ("/paths/~1health/get/responses", E, "documentation"),
    ("/paths/~1health/get/x-amazon-apigateway-integration/type", C, "mock"),
    ("/paths/~1health/get/x-amazon-apigateway-integration/requestTemplates", C, "status 200"),
    ("/paths/~1health/get/x-amazon-apigateway-integration/responses/default", C, "mock status 200"),
]


@pytest.fixture(scope="module")
def every() -> Imported:
    return _import(EVERY, accept_partial=True)


@pytest.mark.parametrize(("at", "fate", "words"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_the_fate_of_each_element(every: Imported, at: str, fate: Fate, words: str) -> None:
    found = {e.pointer: e for e in every.report.elements}
    assert at in found, f"{at} has no fate of its own"
    assert (found[at].fate, words in found[at].detail) == (fate, True), found[at]


def test_every_part_of_the_document_has_exactly_one_fate(every: Imported) -> None:
    data = yaml.safe_load(EVERY.read_text())
    for leaf in _leaves(data):
        assert every.report.fate_of(leaf) is not None, pointer(leaf)
    pointers = [e.pointer for e in every.report.elements]
    assert len(pointers) == len(set(pointers))
    assert {e.pointer for e in every.report.elements} == {at for at, _, _ in EXPECTED}  # the table is complete


def test_a_route_with_a_refused_part_is_left_out(every: Imported) -> None:
    """GET /pets's authorizer has an unknown setting, GET /private/{id} its integration: both are left out."""
    api = every.config["apis"]["every-element"]
    assert [r["route"] for r in api["routes"]] == ["GET /health"]
    assert every.left_out == ["GET /pets", "GET /private/{id}"] and api["authorizers"] == {}


def test_the_ledger_refuses_what_nobody_read_at_its_highest_unread_place() -> None:
    ledger = Ledger()
    ledger.converted(("a", "b"), "x")
    ledger.refused(("a", "c", 0), "no")
    ledger.converted(("a", "c", 0), "late")  # a refusal is never overwritten
    report = ledger.close({"a": {"b": 1, "c": [2, 3], "d": {"e": {"f": 1}}}, "g": 2})
    fates = {e.pointer: e.fate for e in report.elements}
    assert fates == {"/a/b": C, "/a/c/0": R, "/a/c/1": R, "/a/d": R, "/g": R}
    assert report.fate_of(("a", "d", "e", "f")).pointer == "/a/d"


def test_refusals_fail_the_import_with_every_pointer_and_the_report_has_every_fate(tmp_path: Path) -> None:
    report = tmp_path / "fates.json"
    out = subprocess.run([*GATEPOST, "import", str(EVERY), "--report", str(report)], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert out.returncode == 1 and out.stdout == ""
    refused = [at for at, fate, _ in EXPECTED if fate is R]
    for at in refused:
        assert f": {at}: " in out.stderr, at
    assert "flavour: rest (no HTTP API mark in the document" in out.stderr
    written = json.loads(report.read_text())
    assert written["counts"] == {"converted": sum(f is C for _, f, _ in EXPECTED),
                                 "equivalent": sum(f is E for _, f, _ in EXPECTED), "refused": len(refused)}
    assert {e["pointer"]: e["fate"] for e in written["elements"]} == {at: str(f) for at, f, _ in EXPECTED}
    assert written["routes_left_out"] == ["GET /pets", "GET /private/{id}"]


def test_a_partial_import_lists_the_refusals_in_the_config_and_in_explain(tmp_path: Path) -> None:
    target = tmp_path / "gatepost.yaml"
    out = subprocess.run([*GATEPOST, "import", str(EVERY), "--accept-partial", "-o", str(target)],
                         capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "LEFT OUT (partial import): GET /private/{id}" in out.stderr
    assert "LEFT OUT (partial import): GET /pets" in out.stderr
    text = target.read_text()
    comments = [line for line in text.splitlines() if line.startswith("#   NOT CONVERTED")]
    assert len(comments) == sum(f is R for _, f, _ in EXPECTED)
    assert any(f"{INTEG}/cacheKeyParameters" in c for c in comments)
    explained = subprocess.run([*GATEPOST, "explain", str(target)], capture_output=True, text=True, cwd=REPO,
                               timeout=60)
    assert explained.returncode == 0, explained.stderr
    listed = [line for line in explained.stdout.splitlines() if line.startswith("NOT CONVERTED")]
    assert len(listed) == len(comments) and any("vpcEndpointIds" in line for line in listed)
    assert "GET /private/{id}" not in explained.stdout.split("NOT CONVERTED")[0]
