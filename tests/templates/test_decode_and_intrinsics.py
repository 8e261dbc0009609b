"""Reading templates: cfn-lint's decoder (short-form tags, JSON, duplicate keys with both lines) and the
intrinsic functions resolved over the template's own parameters, conditions and resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatepost.config.load import load_text
from gatepost.errors import ConfigError
from gatepost.templates.decode import decode
from gatepost.templates.detect import looks_like_template
from gatepost.templates.intrinsics import Resolver
from gatepost.templates.parameters import parse_overrides, resolve

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Cidrs:
    Type: CommaDelimitedList
    Default: "10.0.0.0/8, 192.168.0.0/16"
  Env:
    Type: String
    Default: prod
  Required:
    Type: String
Mappings:
  Regions:
    us-east-1: {Short: use1}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Equals [a, b], !Equals [!Ref "AWS::Region", us-east-1]]]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: orders, Runtime: python3.12, Handler: app.handler}
  Pool:
    Type: AWS::Cognito::UserPool
  Client:
    Type: AWS::Cognito::UserPoolClient
  Role:
    Type: AWS::IAM::Role
  Shared:
    Type: AWS::CloudFormation::Stack
"""


def _resolver(overrides: dict[str, str] | None = None) -> Resolver:
    located = decode(TEMPLATE, "t.yaml")
    return Resolver(located, resolve(located, {"Required": "x", **(overrides or {})}))


@pytest.mark.parametrize(("expr", "expected"), [
    ({"Ref": "Cidrs"}, ["10.0.0.0/8", "192.168.0.0/16"]),  # a list parameter stays a list
    ({"Fn::Select": [1, {"Ref": "Cidrs"}]}, "192.168.0.0/16"),
    ({"Fn::Join": [";", {"Ref": "Cidrs"}]}, "10.0.0.0/8;192.168.0.0/16"),
    ({"Fn::Split": ["/", "a/b/c"]}, ["a", "b", "c"]),
    ({"Fn::GetAtt": ["Fn", "Arn"]}, "arn:aws:lambda:us-east-1:123456789012:function:orders"),
    ({"Fn::GetAtt": "Pool.Arn"}, "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool"),
    ({"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}"},
     "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"),
    ({"Fn::Sub": ["${Name}-${!Literal}-${Role.Arn}", {"Name": {"Ref": "Env"}}]},
     "prod-${Literal}-arn:aws:iam::123456789012:role/Role"),
    ({"Fn::If": ["IsProd", "yes", "no"]}, "yes"),
    ({"Fn::If": ["NotProd", "yes", {"Ref": "AWS::NoValue"}]}, None),
    ({"Fn::If": ["Both", 1, 2]}, 1),
    ({"Fn::FindInMap": ["Regions", {"Ref": "AWS::Region"}, "Short"]}, "use1"),
    ({"Ref": "Client"}, "client"),
    ({"Fn::ImportValue": "SharedArn"}, "arn:shared"),
    ({"Fn::GetAtt": ["Shared", "Outputs.SharedArn"]}, "arn:shared"),  # a nested stack's output
])
def test_intrinsics(expr: Any, expected: Any) -> None:
    resolved = _resolver({"SharedArn": "arn:shared"}).resolve({"v": expr})
    assert resolved.get("v") == expected


def test_overrides_and_conditions() -> None:
    resolver = _resolver({"Env": "dev", "AWS::Region": "eu-west-1"})
    assert resolver.resolve({"Fn::If": ["IsProd", "yes", "no"]}) == "no"
    assert resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]}) == "arn:aws:lambda:eu-west-1:123456789012:function:orders"


def test_sam_cli_override_syntax() -> None:
    assert parse_overrides('A=1 "B=two words" ParameterKey=C,ParameterValue=x,y') == {
        "A": "1", "B": "two words", "C": "x,y"}
    with pytest.raises(ConfigError):
        parse_overrides("novalue")


@pytest.mark.parametrize(("expr", "message"), [
    ({"Ref": "Nope"}, "Ref Nope: no parameter"),
    ({"Fn::GetAtt": ["Nope", "Arn"]}, "no resource Nope"),
    ({"Fn::ImportValue": "Other"}, "--parameter-overrides Other=VALUE"),
    ({"Fn::GetAtt": ["Shared", "Outputs.PoolArn"]}, "--parameter-overrides PoolArn=VALUE"),
    ({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, "Fn::Cidr is not supported"),
    ({"Fn::If": ["Missing", 1, 2]}, "condition 'Missing' is not declared"),
])
def test_what_cannot_be_resolved_is_refused_with_its_place(expr: Any, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _resolver().resolve(expr, ("Resources", "Fn", "Properties"))
    issue = exc.value.issues[0]
    assert message in issue.problem + issue.fix and issue.file == "t.yaml:21"


def test_a_parameter_without_default_or_value_is_named() -> None:
    located = decode(TEMPLATE, "t.yaml")
    with pytest.raises(ConfigError) as exc:
        resolve(located, {})
    assert exc.value.issues[0].file == "t.yaml:9"
    assert "--parameter-overrides Required=VALUE" in exc.value.issues[0].fix


@pytest.mark.parametrize("text", [
    "Resources:\n  A:\n    Type: AWS::SNS::Topic\n  B:\n    Type: AWS::SNS::Topic\n  A:\n    Type: AWS::SQS::Queue\n",
    '{\n "Resources": {\n  "A": {"Type": "AWS::SNS::Topic"},\n  "B": {"Type": "AWS::SNS::Topic"},\n'
    '  "A": {"Type": "AWS::SQS::Queue"}\n }\n}\n',
])
def test_duplicate_keys_are_refused_with_both_lines(text: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_text(text, "dup.yaml")
    [issue] = exc.value.issues
    second = "6" if text.startswith("Resources") else "5"
    first = "2" if text.startswith("Resources") else "3"
    assert issue.file == f"dup.yaml:{second}" and f"already set at line {first}" in issue.problem


def test_a_broken_template_is_located() -> None:
    with pytest.raises(ConfigError) as exc:
        load_text("Resources:\n  A: [\n", "bad.yaml")
    assert exc.value.issues[0].file.startswith("bad.yaml:")


def test_detection() -> None:
    assert looks_like_template("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n")
    assert looks_like_template('{"Resources": {"A": {"Type": "AWS::SNS::Topic"}}}')
    assert looks_like_template("Transform: AWS::Serverless-2016-10-31\n")
    assert not looks_like_template("apis:\n  a: {}\nResources: x\n")
    assert not looks_like_template('{"openapi": "3.0.1", "paths": {}}')


def test_a_template_without_an_api_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_text(TEMPLATE.replace("  Required:\n    Type: String\n", ""), str(tmp_path / "t.yaml"))
    assert "no REST or HTTP API" in exc.value.issues[0].problem
