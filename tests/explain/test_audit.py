"""`gatepost audit`: the leaky config's findings, severities and exit codes for CI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gatepost.cli import main
from gatepost.explain.audit import audit, policy_findings
from gatepost.explain.load import load

CONFIGS = Path(__file__).resolve().parent / "configs"
GOLDEN = Path(__file__).resolve().parent / "golden"


def _write(tmp: Path, text: str, name: str = "gatepost.yaml") -> Path:
    shutil.copy(CONFIGS / "probe_auth.py", tmp / "probe_auth.py")
    path = tmp / name
    path.write_text(text.replace("${UPSTREAM}", "http://127.0.0.1:9").replace("${ISSUER}", "http://127.0.0.1:8"))
    return path


def _audit(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    code = main(["audit", str(path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _rules(findings: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(f["severity"], f["rule"], f["target"]) for f in findings}


def test_audit_flags_the_leaky_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, (CONFIGS / "leaky.yaml").read_text())
    code, findings = _audit(capsys, path)
    assert code == 1  # a high finding, default --fail-on high
    rules = _rules(findings)
    assert ("high", "route.public", "ANY /{proxy+}") in rules  # the forgotten catch-all
    assert ("info", "route.public", "GET /health") in rules
    assert ("medium", "lambda.uncached", "permissive") in rules
    assert ("medium", "policy.allow_star", "resource_policy.Statement[0]") in rules  # no IAM route: medium
    assert findings[0]["severity"] == "high"  # most severe first
    assert all(f["fix"] for f in findings)


def test_audit_of_the_tight_config_passes_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, (CONFIGS / "tight.yaml").read_text())
    code, findings = _audit(capsys, path)
    assert code == 0
    assert not [f for f in findings if f["severity"] == "high"]
    assert ("low", "api.mixed_kinds", "(api)") in _rules(findings)  # lambda, jwt, iam on one API
    code, _ = _audit(capsys, path, "--fail-on", "low")
    assert code == 1


def test_fail_on_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, (CONFIGS / "leaky.yaml").read_text())
    assert _audit(capsys, path, "--fail-on", "never")[0] == 0
    assert _audit(capsys, path, "--fail-on", "medium")[0] == 1


@pytest.mark.parametrize(("snippet", "expected"), [
    ("bank: {type: lambda, function: 'probe_auth:strict', identity_sources: [query.token], result_ttl: 60}",
     ("medium", "identity_source.logged", "bank")),
    ("bank: {type: lambda, function: 'probe_auth:strict', identity_sources: [header.x-t], result_ttl: 3600}",
     ("medium", "lambda.long_ttl", "bank")),
])
def test_authorizer_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str], snippet: str,
                          expected: tuple[str, str, str]) -> None:
    text = (f"apis:\n  a:\n    authorizers:\n      {snippet}\n    routes:\n"
            "      - {route: 'GET /x', authorizer: bank}\n    integration: {http: 'http://127.0.0.1:9'}\n")
    assert expected in _rules(_audit(capsys, _write(tmp_path, text))[1])


def test_jwt_rules_defend_in_depth(tmp_path: Path) -> None:
    """The jwt kind refuses both at load today; the rules still catch a config whose checks were loosened."""
    text = ("apis:\n  a:\n    authorizers:\n      bank: {type: jwt, issuer: 'http://127.0.0.1:8', audiences: [x]}\n"
            "    routes:\n      - {route: 'GET /x', authorizer: bank}\n    integration: {http: 'http://127.0.0.1:9'}\n")
    loaded = load(_write(tmp_path, text))
    assert not [f for f in audit(loaded) if f.rule.startswith("jwt.")]
    api = loaded.config.apis["a"]
    loose = api.authorizers["bank"].model_copy(update={"audiences": [], "algorithms": ["RS256", "HS256"]})
    loaded.config = loaded.config.model_copy(
        update={"apis": {"a": api.model_copy(update={"authorizers": {"bank": loose}})}})
    assert {(f.severity, f.rule) for f in audit(loaded) if f.rule.startswith("jwt.")} == {
        ("high", "jwt.no_audience"), ("high", "jwt.hs_algorithm")}


def test_shared_cache_and_api_key_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """
apis:
  a:
    authorizers:
      t: {type: lambda, kind: token, function: 'probe_auth:strict', identity_sources: [header.authorization]}
      r: {type: lambda, function: 'probe_auth:strict', identity_sources: [header.x-t, context.resourcePath]}
    routes:
      - {route: 'GET /x', authorizer: t}
      - {route: 'GET /y', authorizer: t}
      - {route: 'GET /z', authorizer: r}
      - {route: 'GET /w', authorizer: r}
      - {route: 'POST /keyed', public: true, api_key_required: true}
    integration: {http: 'http://127.0.0.1:9'}
usage_plans:
  p: {api_stages: [{api: a}]}
"""
    rules = _rules(_audit(capsys, _write(tmp_path, text))[1])
    assert ("medium", "lambda.cache_shared", "t") in rules
    assert not any(rule == "lambda.cache_shared" and target == "r" for _, rule, target in rules)
    assert ("high", "api_key.only_control", "POST /keyed") in rules
    assert not any(rule == "route.public" and target == "POST /keyed" for _, rule, target in rules)


def test_reflected_identity_source_in_gateway_responses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """
apis:
  a:
    authorizers:
      t: {type: lambda, kind: token, function: 'probe_auth:strict', identity_sources: [header.authorization]}
    routes:
      - {route: 'GET /x', authorizer: t}
    integration: {http: 'http://127.0.0.1:9'}
    gateway_responses:
      UNAUTHORIZED: {headers: {x-seen: method.request.header.Authorization}}
"""
    assert ("high", "identity_source.logged", "gateway_responses.UNAUTHORIZED") in _rules(
        _audit(capsys, _write(tmp_path, text))[1])


def test_resource_policy_allowing_everyone() -> None:
    permissive = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}
    conditioned = {"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "execute-api:Invoke",
                                 "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}}
    found = list(policy_findings("a", permissive, has_iam_routes=True))
    assert [(f.severity, f.rule) for f in found] == [("high", "policy.allow_star")]
    assert [f.severity for f in policy_findings("a", permissive, has_iam_routes=False)] == ["medium"]
    assert list(policy_findings("a", conditioned, has_iam_routes=True)) == []


def test_audit_reads_an_openapi_export(capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = _audit(capsys, GOLDEN / "rest.json")
    rules = _rules(findings)
    assert ("medium", "route.public", "GET /public") in rules
    assert ("medium", "lambda.cache_shared", "TokenAuth") in rules  # GET /metered and ANY /{proxy+}
    assert code == 0


def test_aws_ip_allow_list_shape_is_not_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The Allow for everyone is narrowed by the Deny for every source outside the listed ranges."""
    text = (CONFIGS / "ip_allow_list.yaml").read_text()
    code, findings = _audit(capsys, _write(tmp_path, text))
    assert [f for f in findings if f["rule"].startswith("policy.")] == []
    assert code == 0

    # the same Deny scoped to one path only: every other path is open to everyone again
    narrow = text.replace("          Resource: execute-api:/*\n          Condition:",
                          "          Resource: execute-api:/*/POST/internal/refresh\n          Condition:")
    assert narrow != text
    code, findings = _audit(capsys, _write(tmp_path, narrow))
    assert ("high", "policy.allow_star", "resource_policy.Statement[0]") in _rules(findings)
    assert code == 1

    # a deny-list (IpAddress) keeps everyone else in: still flagged
    deny_list = text.replace("NotIpAddress:", "IpAddress:")
    code, findings = _audit(capsys, _write(tmp_path, deny_list))
    assert ("high", "policy.allow_star", "resource_policy.Statement[0]") in _rules(findings)


def test_private_api_vpce_allow_list_is_not_flagged() -> None:
    policy = {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}
    assert list(policy_findings("a", policy, has_iam_routes=True)) == []
    policy["Statement"][1]["Condition"]["StringNotEquals"]["aws:PrincipalAccount"] = "123456789012"
    assert [f.rule for f in policy_findings("a", policy, has_iam_routes=True)] == ["policy.allow_star"]
