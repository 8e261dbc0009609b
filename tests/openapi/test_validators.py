"""Request validators as API Gateway applies them: imported from x-amazon-apigateway-request-validators with
their models, enforced in the gateway after authorization, answering AWS's 400 shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatepost.config.load import Located
from gatepost.errors import ConfigError
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.convert import convert
from support import run_gateway

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC = FIXTURES / "validators.yaml"
ALLOW = {"Authorization": "Bearer allow-me", "x-tenant": "t1"}
PET = {"name": "rex", "price": 3, "tags": ["good"]}


def _config() -> dict:
    data = Located(str(DOC), DOC.read_text()).data
    imported = convert(data, Bindings.model_validate(data["x-gatepost-bindings"]))
    assert not imported.report.refused, imported.report.refused
    return imported.config


def test_validators_import_with_their_parameters_and_models() -> None:
    routes = {r["route"]: r for r in _config()["apis"]["validated-pets"]["routes"]}
    post = routes["POST /pets"]["request_validation"]
    assert post["required"] == ["header.x-tenant"]  # dryRun is optional; the $ref'd parameter is followed
    assert post["body"]["application/json"]["$ref"] == "#/components/schemas/Pet"
    assert routes["GET /pets/{petId}"]["request_validation"] == {"required": ["path.petId", "query.fields"]}


def test_the_gateway_enforces_them_with_aws_400_shapes() -> None:
    with run_gateway(yaml.safe_dump(_config()), config_dir=FIXTURES) as gw:
        assert gw.post("/pets", json={}).status_code == 401  # authorization comes first, as on AWS
        missing = gw.post("/pets", json=PET, headers={"Authorization": "Bearer allow-me"})
        assert (missing.status_code, missing.json()) == (400, {"message": "Missing required request parameters: "
                                                                          "[x-tenant]"})
        for bad in ({"name": "rex"}, {**PET, "price": -1}, {**PET, "tags": ["far-too-long-tag"]}):
            refused = gw.post("/pets", json=bad, headers=ALLOW)
            assert (refused.status_code, refused.json()) == (400, {"message": "Invalid request body"}), bad
        not_json = gw.post("/pets", data=b"{nope", headers={**ALLOW, "content-type": "application/json"})
        assert not_json.status_code == 400
        created = gw.post("/pets", json=PET, headers=ALLOW)
        assert (created.status_code, created.json()) == (201, {"created": True})
        assert gw.get("/pets/1").json() == {"message": "Missing required request parameters: [fields]"}
        assert gw.get("/pets/1?fields=name").status_code == 200


def test_an_undeclared_validator_and_a_bad_model_are_refused() -> None:
    data = yaml.safe_load(DOC.read_text())
    data["paths"]["/pets"]["post"]["x-amazon-apigateway-request-validator"] = "nope"
    imported = convert(data, Bindings.model_validate(data["x-gatepost-bindings"]))
    [refused] = imported.report.refused
    assert refused.pointer == "/paths/~1pets/post/x-amazon-apigateway-request-validator"
    config = _config()
    config["apis"]["validated-pets"]["routes"][0]["request_validation"]["body"]["application/json"] = {"type": 5}
    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        from gatepost.config.load import load_text

        load_text(yaml.safe_dump(config), "gatepost.yaml", env={})
