"""Mapping templates (non-proxy integrations) rendered by a real Velocity engine (airspeed): AWS's PetStore
shape against a real HTTP backend, a MOCK whose status the template decides, and the VTL variables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from gatepost.config.load import Located
from gatepost.integrations.vtl import UTIL, Input, Template, json_path
from gatepost.openapi.bindings import Bindings
from gatepost.openapi.convert import convert
from support import run_gateway, run_upstream

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC = FIXTURES / "petstore.yaml"
PREFIX = "http://petstore.execute-api.us-east-1.amazonaws.com/petstore"


def _config(backend: str) -> str:
    data = Located(str(DOC), DOC.read_text()).data
    imported = convert(data, Bindings.model_validate({"urls": {PREFIX: backend}}))
    assert not imported.report.refused, imported.report.refused
    return yaml.safe_dump(imported.config)


async def _fail_on_boom(request: web.Request, seen: dict[str, Any]) -> web.StreamResponse:
    if "boom" in seen["body"]:
        return web.json_response({"error": "no"}, status=500)
    return web.json_response(seen)


def test_petstore_http_integrations_map_requests_and_responses() -> None:
    with run_upstream(_fail_on_boom) as up, run_gateway(_config(up.url), config_dir=FIXTURES) as gw:
        listed = gw.get("/pets?type=dog&page=2&unmapped=x")
        assert listed.status_code == 200 and listed.headers["access-control-allow-origin"] == "*"
        assert listed.json() == {"backendSaw": "page=2&type=dog", "method": "GET", "stage": "test"}
        assert up.calls[-1]["path"] == "/pets"  # only the mapped parameters reach the backend, as on AWS

        created = gw.post("/pets", json={"type": 'd"og', "price": 5}, headers={"x-tenant": "t1"})
        assert created.status_code == 200
        sent = json.loads(created.json()["body"])  # the default response passes the backend's body on
        assert sent["kind"] == 'd"og' and sent["cost"] == 5 and sent["tenant"] == "t1" and sent["requestId"]
        assert up.calls[-1]["method"] == "POST" and json.loads(up.calls[-1]["body"]) == sent

        failed = gw.post("/pets", json={"type": "boom", "price": 1})
        assert (failed.status_code, failed.json()) == (502, {"message": "backend failed"})  # selectionPattern 5\d{2}
        assert gw.post("/pets", data=b"x", headers={"content-type": "text/plain"}).status_code == 415

        one = gw.get("/pets/42")
        assert one.status_code == 200 and one.json()["path"] == "/pets/42"


def test_a_mock_whose_template_decides_the_status() -> None:
    with run_gateway(_config("http://127.0.0.1:9"), config_dir=FIXTURES) as gw:
        up = gw.get("/ping")
        assert up.status_code == 200 and up.json()["status"] == "up" and up.json()["id"]
        down = gw.get("/ping?fail=yes")
        assert (down.status_code, down.json()) == (503, {"status": "down"})


def test_the_vtl_variables_aws_documents() -> None:
    body = json.dumps({"a": {"b": [1, {"c": True}]}, "s": "x'y"}).encode()
    variables = {"input": Input(body, {"path": {"id": "7"}, "querystring": {"q": "1"}, "header": {"X-H": "h"}}),
                 "util": UTIL, "stageVariables": {"env": "dev"}, "context": {"requestId": "r-1"}}
    text = ("$input.json('$.a.b[1]')|$input.path('$.a.b[1].c')|$input.path('$.a.b').size()|$input.params('id')"
            "|$input.params('q')|$input.params('x-h')|$util.escapeJavaScript($input.path('$.s'))"
            "|$util.urlEncode('a b')|$util.base64Encode('hi')|$stageVariables.env|$context.requestId"
            "|#foreach($k in $input.params().keySet())$k,#end")
    assert Template(text).render(variables) == \
        '{"c":true}|true|2|7|1|h|x\\\'y|a%20b|aGk=|dev|r-1|path,querystring,header,'
    assert json_path({"a": [{"b": 1}]}, "$['a'][0].b") == 1 and json_path({}, "$.missing.x") is None
