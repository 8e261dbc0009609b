"""Where a template's API hides: a local AWS::Include file (with Fn::If wrapping a whole path), a local
DefinitionUri, AWS::LanguageExtensions functions. (A CDK app's cdk.out folder: test_cdk_app.py.)"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from template_kit import copy_fixture, serve_template

from gatepost.config.load import load_file, load_text
from gatepost.errors import ConfigError


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return copy_fixture("sam_include", tmp_path)


def test_an_included_definition_and_a_definition_file_are_served(template: Path) -> None:
    with serve_template(template) as gw:
        hello = gw.get("/Api/hello")
        assert hello.status_code == 200 and hello.json()["greeting"] == "regions=2"  # Fn::Length
        assert gw.get("/Legacy/ping").json() == {"pong": 1}
    assert json.loads(os.environ["CONFIG"]) == {"regions": ["us-east-1", "eu-west-1"]}  # Fn::ToJsonString


def test_fn_if_wraps_a_whole_path(template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = load_file(template)
    assert [r.route for r in config.apis["Api"].routes] == ["GET /hello"]
    monkeypatch.setenv("GATEPOST_PARAMETER_OVERRIDES", "WithAdmin=yes")
    config, _ = load_file(template)
    routes = {r.route: r for r in config.apis["Api"].routes}
    assert routes["GET /admin"].authorizer == "AWS_IAM"


@pytest.mark.parametrize(("snippet", "message"), [
    ("Transform: AWS::SomeMacro\nResources:\n  T: {Type: AWS::SNS::Topic}\n", "transform AWS::SomeMacro is not run"),
    ("Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n    - Name\n    - [A, B]\n"
     "    - Topic${Name}: {Type: AWS::SNS::Topic}\n", "Fn::ForEach (AWS::LanguageExtensions) is not expanded"),
    ("Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      DefinitionUri: s3://bucket/api.yaml\n",
     "not a local file"),
])
def test_what_cannot_be_read_here_is_refused_by_name(snippet: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_text("AWSTemplateFormatVersion: '2010-09-09'\n" + snippet, str(tmp_path / "t.yaml"))
    assert message in str(exc.value.issues[0])


def test_local_layers_and_functions_without_code_uri_get_through_the_translator(template: Path, capsys: Any) -> None:
    from template_kit import cli

    assert cli("check", str(template)) == 0
    out = capsys.readouterr().out
    assert "Bare (AWS::Lambda::Function): served: runs in-process as ./bare:handler" in out
    assert "(AWS::Lambda::LayerVersion): ignored: layers" in out
