"""The compiled evaluator (waf/compiled.py) against the interpreted one (`WebAcl.interpret`, one statement object
at a time): the same verdict (action, terminating rule, labels, counted rules) on every corpus request and on
generated requests, rate-based rules included (each side counting in its own memory counters)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wafkit import Counting, build_acl, request

from gatepost.waf.acl import WebAcl

CORPUS = Path(__file__).parent / "corpus"
NOW = 1_767_225_600.0


def _t(*types: str) -> list[dict[str, Any]]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(types)]


def _byte(search: str, field: dict[str, Any], constraint: str, *types: str) -> dict[str, Any]:
    return {"ByteMatchStatement": {"SearchString": search, "FieldToMatch": field,
                                   "TextTransformations": _t(*(types or ("NONE",))),
                                   "PositionalConstraint": constraint}}


def _rule(name: str, priority: int, statement: dict[str, Any], action: str = "Block",
          labels: tuple[str, ...] = ()) -> dict[str, Any]:
    rule: dict[str, Any] = {"Name": name, "Priority": priority, "Action": {action: {}}, "Statement": statement}
    if labels:
        rule["RuleLabels"] = [{"Name": label} for label in labels]
    return rule


UA = {"SingleHeader": {"Name": "user-agent"}}
# Components shared between statements with the same transformations, and with a common prefix of them
# (the compiled evaluator computes each once per request), multi-valued components, Count rules with labels
# read by later rules, nesting, an IP set of both versions, body oversize handling and a scoped rate rule.
SHARED = {"Name": "shared", "DefaultAction": {"Allow": {}}, "Rules": [
    _rule("tag-tool", 0, _byte("curl", UA, "CONTAINS", "LOWERCASE"), "Count", ("client:tool",)),
    _rule("tag-debug", 1, _byte("true", {"SingleQueryArgument": {"Name": "debug"}}, "EXACTLY", "URL_DECODE",
                                "LOWERCASE"), "Count", ("flags:debug",)),
    _rule("blocked-ips", 2, {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/v4/1"}}),
    _rule("blocked-ips-v6", 3, {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/v6/2"}}),
    _rule("admin", 4, {"OrStatement": {"Statements": [
        _byte("/admin", {"UriPath": {}}, "STARTS_WITH", "URL_DECODE", "LOWERCASE"),
        _byte("/admin", {"UriPath": {}}, "STARTS_WITH", "URL_DECODE", "LOWERCASE", "NORMALIZE_PATH"),
        {"AndStatement": {"Statements": [
            _byte("..", {"UriPath": {}}, "CONTAINS", "URL_DECODE"),
            {"NotStatement": {"Statement": _byte("GET", {"Method": {}}, "EXACTLY")}}]}}]}}),
    _rule("tool-writes", 5, {"AndStatement": {"Statements": [
        {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "client:"}},
        {"NotStatement": {"Statement": {"OrStatement": {"Statements": [
            _byte("GET", {"Method": {}}, "EXACTLY"), _byte("HEAD", {"Method": {}}, "EXACTLY")]}}}}]}}),
    _rule("bad-agent", 6, {"RegexMatchStatement": {"RegexString": "^(sqlmap|nikto)|masscan", "FieldToMatch": UA,
                                                   "TextTransformations": _t("LOWERCASE")}}),
    _rule("agent-word", 7, {"ByteMatchStatement": {"SearchString": "scanner", "FieldToMatch": UA,
                                                   "TextTransformations": _t("LOWERCASE", "COMPRESS_WHITE_SPACE"),
                                                   "PositionalConstraint": "CONTAINS_WORD"}}),
    _rule("long-agent", 8, {"SizeConstraintStatement": {"FieldToMatch": UA, "ComparisonOperator": "GT", "Size": 40,
                                                        "TextTransformations": _t("LOWERCASE")}}),
    _rule("query-size", 9, {"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}},
                                                        "ComparisonOperator": "GE", "Size": 64,
                                                        "TextTransformations": _t("URL_DECODE")}}),
    _rule("body-secret", 10, {"ByteMatchStatement": {
        "SearchString": "secret", "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
        "TextTransformations": _t("LOWERCASE"), "PositionalConstraint": "CONTAINS"}}),
    _rule("json-role", 11, {"ByteMatchStatement": {
        "SearchString": "admin", "FieldToMatch": {"JsonBody": {"MatchPattern": {"IncludedPaths": ["/role"]},
                                                               "MatchScope": "VALUE",
                                                               "InvalidFallbackBehavior": "NO_MATCH"}},
        "TextTransformations": _t("LOWERCASE"), "PositionalConstraint": "EXACTLY"}}),
    _rule("all-args", 12, _byte("<script", {"AllQueryArguments": {}}, "CONTAINS", "URL_DECODE", "LOWERCASE")),
    _rule("debug-posts", 13, {"RateBasedStatement": {
        "Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
        "ScopeDownStatement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "flags:debug"}}}}),
    _rule("per-ip", 14, {"RateBasedStatement": {"Limit": 30, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}},
          "Count", ("rate:over",)),
    _rule("after-rate", 15, {"LabelMatchStatement": {"Scope": "LABEL", "Key": "rate:over"}}),
]}
IP_SETS = [{"Name": "v4", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24", "198.51.100.7/32"]},
           {"Name": "v6", "IPAddressVersion": "IPV6", "Addresses": ["2001:db8::/32", "2001:db8:1::1/128"]}]


def _corpus_acls() -> dict[str, tuple[WebAcl, list[dict[str, Any]]]]:
    out = {}
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text())
        if "acl" in data:
            acl = build_acl(data["acl"], ip_sets=data.get("ip_sets", []), regex_sets=data.get("regex_sets", []),
                            trusted=data.get("trusted", []))
            out[path.stem] = (acl, [c["request"] for c in data["cases"]])
    out["shared"] = (build_acl(SHARED, ip_sets=IP_SETS), [])
    return out


ACLS = _corpus_acls()


def _both(acl: WebAcl, specs: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    async def run() -> tuple[list[Any], list[Any]]:
        compiled, interpreted = Counting(), Counting()
        got, want = [], []
        for i, spec in enumerate(specs):
            got.append(await acl.evaluate(request(spec), NOW + i * 0.5, compiled))
            want.append(await acl.interpret(request(spec), NOW + i * 0.5, interpreted))
        return got, want

    return asyncio.run(run())


def test_every_acl_is_compiled() -> None:
    for name, (acl, _) in ACLS.items():
        assert acl.evaluate != acl.interpret and acl.program.startswith("async def evaluate"), name


def test_the_compiled_program_inlines_components_and_tests() -> None:
    program = ACLS["shared"][0].program
    assert ".match(insp)" not in program  # every statement of this ACL has an inline form
    assert "req.raw_path" in program and ".startswith(" in program and "isdisjoint(labels)" in program
    assert "await counters.over(" in program


@pytest.mark.parametrize("stem", [s for s in ACLS if s != "shared"])
def test_corpus_requests_get_the_interpreted_verdicts(stem: str) -> None:
    acl, specs = ACLS[stem]
    got, want = _both(acl, specs)
    assert got == want


PATHS = ["/", "/items", "/admin", "/ADMIN/users", "/%61dmin", "/a/../admin", "/a/..%2fb", "/x//admin", "/a%2F..%2F"]
QUERIES = ["", "debug=true", "DEBUG=True&x=1", "%64ebug=TRUE", "debug=%74rue", "q=blue+shoes&page=2",
           "q=%3Cscript%3Ealert(1)", "a=<Script>&b=2", "q=" + "x" * 70, "debug", "debug=true&debug=false"]
AGENTS = ["Mozilla/5.0", "curl/8.5", "CURL/7 scanner", "sqlmap/1.7", "x masscan", "Nikto", "a-scanner-b",
          "my scanner", "z" * 50]
IPS = ["203.0.113.9", "192.0.2.44", "198.51.100.7", "198.51.100.8", "2001:db8::5", "2001:db9::1", "::ffff:192.0.2.1",
       "not-an-ip"]
BODIES = ["", "hello", "a SECRET b", '{"role": "Admin"}', '{"role": ["admin"]}', '{"role": 1', "x" * 20000]
requests_ = st.fixed_dictionaries({
    "path": st.sampled_from(PATHS) | st.text(alphabet="/a.%2fdmin", max_size=12).map(lambda s: "/" + s),
    "query": st.sampled_from(QUERIES) | st.text(alphabet="=&%+debugtrUE34<>", max_size=20),
    "method": st.sampled_from(["GET", "POST", "HEAD", "DELETE", "get"]),
    "source_ip": st.sampled_from(IPS),
    "body": st.sampled_from(BODIES),
    "headers": st.lists(st.tuples(st.sampled_from(["User-Agent", "X-Client", "Content-Type"]),
                                  st.sampled_from([*AGENTS, "mobile", "application/json"])), max_size=3),
})


@settings(max_examples=300, deadline=None)
@given(stem=st.sampled_from(sorted(ACLS)), specs=st.lists(requests_, min_size=1, max_size=45))
def test_generated_requests_get_the_interpreted_verdicts(stem: str, specs: list[dict[str, Any]]) -> None:
    acl = ACLS[stem][0]
    got, want = _both(acl, specs)
    assert got == want


def test_an_acl_nested_beyond_what_python_compiles_is_interpreted() -> None:
    inner: dict[str, Any] = _byte("/deep", {"UriPath": {}}, "EXACTLY")
    for _ in range(120):
        inner = {"AndStatement": {"Statements": [_byte("/", {"UriPath": {}}, "STARTS_WITH"), inner]}}
    acl = build_acl({"Name": "deep", "DefaultAction": {"Allow": {}}, "Rules": [_rule("deep", 0, inner)]})
    assert acl.evaluate == acl.interpret and acl.program == ""
    got, _ = _both(acl, [{"path": "/deep"}, {"path": "/shallow"}])
    assert [v.action.kind for v in got] == ["BLOCK", "ALLOW"]
