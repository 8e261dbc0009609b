"""Whatever a Web ACL asks that Gatepost cannot honour exactly is refused by name at load, with the file and
the JSON place, never ignored; references that do not resolve are errors too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_text
from gatepost.errors import ConfigError
from gatepost.services import Services

FIXTURES = Path(__file__).parent / "fixtures"


def _yaml(acl: dict[str, Any], extra: str = "", web_acl: str = "edge") -> str:
    return f"""
web_acls:
  edge:
    definition: {json.dumps(acl)}
{extra}
apis:
  shop:
    web_acl: {web_acl}
    routes: [{{route: "GET /items", public: true}}]
    integration: {{http: "http://127.0.0.1:9"}}
"""


def _acl(statement: dict[str, Any], **rule: Any) -> dict[str, Any]:
    return {"Name": "edge", "DefaultAction": {"Allow": {}},
            "Rules": [{"Name": "r1", "Priority": 1, "Action": {"Block": {}}, "Statement": statement, **rule}]}


def errors(text: str, config_dir: Path = FIXTURES) -> str:
    with pytest.raises(ConfigError) as info:
        config, doc = load_text(text, "gatepost.yaml")
        compile_gateway(config, doc, Services(), config_dir)
    return str(info.value)


BYTE = {"ByteMatchStatement": {"SearchString": "x", "FieldToMatch": {"UriPath": {}},
                               "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                               "PositionalConstraint": "CONTAINS"}}


@pytest.mark.parametrize(("statement", "rule", "expected"), [
    ({"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}, {},
     "Rules[0].Statement.ManagedRuleGroupStatement: ManagedRuleGroupStatement (AWS/AWSManagedRulesCommonRuleSet) "
     "is refused: AWS's managed rule groups are proprietary"),
    ({"RuleGroupReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/rulegroup/g/1"}}, {},
     "Rules[0].Statement.RuleGroupReferenceStatement: RuleGroupReferenceStatement is refused"),
    ({"AsnMatchStatement": {"AsnList": [64496]}}, {}, "AsnMatchStatement is refused"),
    ({"FancyNewStatement": {}}, {}, "Rules[0].Statement.FancyNewStatement: unknown statement 'FancyNewStatement'"),
    ({"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}}, {},
     "Rules[0].Statement.NotStatement.Statement.RateBasedStatement: a RateBasedStatement cannot be nested"),
    ({"GeoMatchStatement": {"CountryCodes": ["NL"]}}, {},
     "GeoMatchStatement needs a country database and none is configured"),
    ({"RegexMatchStatement": {"RegexString": "(unclosed", "FieldToMatch": {"UriPath": {}},
                              "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}, {},
     "Rules[0].Statement.RegexMatchStatement.RegexString: the regular expression does not compile"),
    ({"ByteMatchStatement": {**BYTE["ByteMatchStatement"], "FieldToMatch": {"JA3Fingerprint": {}}}}, {},
     "FieldToMatch.JA3Fingerprint: FieldToMatch JA3Fingerprint is not supported"),
    ({"ByteMatchStatement": {**BYTE["ByteMatchStatement"],
                             "TextTransformations": [{"Priority": 0, "Type": "CMD_LINE_WIN"}]}}, {},
     "TextTransformations[0].Type: text transformation CMD_LINE_WIN is not supported"),
    ({"ByteMatchStatement": {**BYTE["ByteMatchStatement"], "TextTransformations": [
        {"Priority": 0, "Type": "LOWERCASE"}, {"Priority": 0, "Type": "URL_DECODE"}]}}, {},
     "two text transformations have Priority 0"),
    (BYTE, {"Action": {"Captcha": {}}}, "Rules[0].Action.Captcha: the Captcha action is refused"),
    (BYTE, {"Action": {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "a", "Value": "b"}]}}}},
     "Rules[0].Action.Allow.CustomRequestHandling: custom request handling"),
    (BYTE, {"OverrideAction": {"None": {}}}, "OverrideAction belongs to rule group references"),
    ({"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/nope/1"}}, {},
     "Rules[0].Statement.IPSetReferenceStatement.ARN: no IP set loaded for"),
    ({"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 90, "AggregateKeyType": "IP"}}, {},
     "EvaluationWindowSec 90 is not one of AWS's 60, 120, 300, 600"),
    ({"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}}, {}, "Limit 5 is outside AWS's range"),
    ({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "FORWARDED_IP"}}, {},
     "a forwarded IP key needs ForwardedIPConfig"),
    ({"AndStatement": {"Statements": [BYTE]}}, {}, "AndStatement needs at least two statements"),
])
def test_refused_by_name_with_its_place(statement: dict[str, Any], rule: dict[str, Any], expected: str) -> None:
    got = errors(_yaml(_acl(statement, **rule)))
    assert "gatepost.yaml:" in got and "web_acls.edge.definition" in got
    assert expected in got


def test_errors_in_an_exported_file_name_the_file_and_json_place(tmp_path: Path) -> None:
    exported = json.loads((FIXTURES / "shared-acl.json").read_text())
    exported["WebACL"]["Rules"][2]["Statement"] = {"XssMatchStatement": {"FieldToMatch": {"Cookies": {}}}}
    (tmp_path / "acl.json").write_text(json.dumps(exported))
    exported["WebACL"]["Rules"][5]["Statement"] = {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                                                "Name": "AWSManagedRulesSQLiRuleSet"}}
    (tmp_path / "acl.json").write_text(json.dumps(exported))
    for name in ("blocked-v4.json", "blocked-v6.json", "bad-bots.json"):
        (tmp_path / name).write_text((FIXTURES / name).read_text())
    text = ("web_acls:\n  edge: {file: acl.json, ip_sets: [blocked-v4.json, blocked-v6.json], "
            "regex_pattern_sets: [bad-bots.json]}\n" + _yaml({}).split("\n", 4)[4])
    lines = [line for line in errors(text, tmp_path).splitlines() if not line.startswith("    fix:")]
    assert lines == [
        f"{tmp_path / 'acl.json'}: WebACL.Rules[2].Statement.XssMatchStatement.FieldToMatch.Cookies: FieldToMatch "
        "Cookies is not supported by Gatepost (inspect the Cookie header with SingleHeader)",
        f"{tmp_path / 'acl.json'}: WebACL.Rules[5].Statement.ManagedRuleGroupStatement: ManagedRuleGroupStatement "
        "(AWS/AWSManagedRulesSQLiRuleSet) is refused: AWS's managed rule groups are proprietary and cannot run "
        "outside AWS",
    ]


def test_search_strings_that_are_not_base64_in_an_export_are_refused(tmp_path: Path) -> None:
    acl = {"WebACL": _acl(BYTE)}
    (tmp_path / "acl.json").write_text(json.dumps(acl))
    text = "web_acls:\n  edge: {file: acl.json}\n" + _yaml({}).split("\n", 4)[4]
    assert "SearchString: the search string is not Base64" in errors(text, tmp_path)
    text = "web_acls:\n  edge: {file: acl.json, search_strings: text}\n" + _yaml({}).split("\n", 4)[4]
    config, doc = load_text(text, "gatepost.yaml")
    compile_gateway(config, doc, Services(), tmp_path)  # spelled as text, said so: loads


def test_unknown_acl_name_and_missing_file() -> None:
    got = errors(_yaml(_acl(BYTE), web_acl="other"))
    assert "apis.shop.web_acl: unknown web ACL 'other'" in got and "declared: edge" in got
    got = errors("web_acls:\n  edge: {file: nowhere.json}\n" + _yaml({}).split("\n", 4)[4])
    assert "nowhere.json: (document): cannot read" in got


def test_one_source_per_acl() -> None:
    got = errors("web_acls:\n  edge: {ip_sets: []}\n" + _yaml({}).split("\n", 4)[4])
    assert "give either file:" in got


def test_sqli_and_xss_are_refused_by_name_without_libinjection(monkeypatch: pytest.MonkeyPatch) -> None:
    from gatepost.waf import injection

    monkeypatch.setattr(injection, "_binding", lambda: None)
    for kind in ("SqliMatchStatement", "XssMatchStatement"):
        statement = {kind: {"FieldToMatch": {"QueryString": {}},
                            "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}
        got = errors(_yaml(_acl(statement)))
        assert f"Rules[0].Statement.{kind}: {kind} needs libinjection, which is not installed" in got
        assert "pip install 'gatepost[waf]'" in got
