"""The IAM policy evaluator: table-driven cases, including AWS's documented examples."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gatepost.policy import Effect, PolicyDocument, PolicyError, evaluate

A, X, I = Effect.ALLOW, Effect.EXPLICIT_DENY, Effect.IMPLICIT_DENY  # noqa: E741
INVOKE = "execute-api:Invoke"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42"
USER = "arn:aws:iam::123456789012:user/alice"
ROLE = "arn:aws:iam::123456789012:role/ops/Deployer"
SESSION = "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-7"
OTHER = "arn:aws:iam::999999999999:user/mallory"


def stmt(effect: str = "Allow", action: Any = INVOKE, resource: Any = "*", **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    if action is not None:
        out["Action"] = action
    if resource is not None:
        out["Resource"] = resource
    out.update(more)
    return out


def doc(*statements: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument.parse({"Version": "2012-10-17", "Statement": list(statements)})


def run(statements: list[dict[str, Any]], action: str = INVOKE, resource: str = ARN,
        context: dict[str, Any] | None = None, principal: str | None = None) -> Effect:
    return evaluate([doc(*statements)], action, resource, context, principal)


# --- Effect, Action, Resource ---------------------------------------------------------------------------------

BASIC = [
    ("allow all", [stmt()], INVOKE, ARN, A),
    ("no statements", [], INVOKE, ARN, I),
    ("deny beats allow", [stmt(), stmt("Deny")], INVOKE, ARN, X),
    ("deny first then allow", [stmt("Deny"), stmt()], INVOKE, ARN, X),
    ("other action", [stmt(action="execute-api:ManageConnections")], INVOKE, ARN, I),
    ("action case-insensitive", [stmt(action="EXECUTE-API:invoke")], INVOKE, ARN, A),
    ("action glob", [stmt(action="execute-api:*")], INVOKE, ARN, A),
    ("action ?", [stmt(action="execute-api:Invok?")], INVOKE, ARN, A),
    ("action ? one char only", [stmt(action="execute-api:Invo?")], INVOKE, ARN, I),
    ("action star", [stmt(action="*")], INVOKE, ARN, A),
    ("action list", [stmt(action=["s3:GetObject", "execute-api:Invoke"])], INVOKE, ARN, A),
    ("NotAction excludes", [stmt(action=None, NotAction="execute-api:*")], INVOKE, ARN, I),
    ("NotAction other", [stmt(action=None, NotAction="s3:*")], INVOKE, ARN, A),
    ("deny NotAction", [stmt(), stmt("Deny", action=None, NotAction="s3:*")], INVOKE, ARN, X),
    ("resource exact", [stmt(resource=ARN)], INVOKE, ARN, A),
    ("resource exact differs", [stmt(resource=ARN + "x")], INVOKE, ARN, I),
    ("resource case-sensitive", [stmt(resource=ARN.upper())], INVOKE, ARN, I),
    ("resource star crosses slash", [stmt(resource="arn:aws:execute-api:us-east-1:123456789012:abc123/*")],
     INVOKE, ARN, A),
    ("resource method wildcard", [stmt(resource="arn:aws:execute-api:*:*:abc123/prod/*/pets/*")], INVOKE, ARN, A),
    ("resource wrong stage", [stmt(resource="arn:aws:execute-api:*:*:abc123/dev/*")], INVOKE, ARN, I),
    ("resource ?", [stmt(resource="arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/4?")],
     INVOKE, ARN, A),
    ("resource list", [stmt(resource=["arn:x", ARN])], INVOKE, ARN, A),
    ("NotResource", [stmt(resource=None, NotResource="arn:aws:execute-api:*:*:abc123/prod/POST/*")],
     INVOKE, ARN, A),
    ("NotResource excludes", [stmt(resource=None, NotResource="arn:aws:execute-api:*:*:abc123/prod/GET/*")],
     INVOKE, ARN, I),
    ("deny one path", [stmt(), stmt("Deny", resource="arn:aws:execute-api:*:*:*/*/GET/pets/*")], INVOKE, ARN, X),
    ("deny other path", [stmt(), stmt("Deny", resource="arn:aws:execute-api:*:*:*/*/GET/admin/*")], INVOKE, ARN, A),
    ("regex metachars literal", [stmt(resource="arn:aws:execute-api:*:*:abc123/prod/GET/pets/4.")],
     INVOKE, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/4.", A),
    ("dot is not a wildcard", [stmt(resource="arn:aws:execute-api:*:*:abc123/prod/GET/pets/4.")], INVOKE, ARN, I),
]


@pytest.mark.parametrize(("name", "statements", "action", "resource", "expected"), BASIC, ids=[c[0] for c in BASIC])
def test_basic(name: str, statements: list[dict[str, Any]], action: str, resource: str, expected: Effect) -> None:
    assert run(statements, action, resource) is expected


def test_several_documents_deny_in_any_wins() -> None:
    allow = doc(stmt())
    deny = doc(stmt("Deny", resource="arn:aws:execute-api:*:*:abc123/*"))
    assert evaluate([allow], INVOKE, ARN) is A
    assert evaluate([allow, deny], INVOKE, ARN) is X
    assert evaluate([deny, allow], INVOKE, ARN) is X
    assert evaluate([], INVOKE, ARN) is I


# --- Principal / NotPrincipal -------------------------------------------------------------------------------------

PRINCIPALS = [
    ("star", "*", USER, A),
    ("star anonymous", "*", "anonymous", A),
    ("AWS star", {"AWS": "*"}, "anonymous", A),
    ("exact user", {"AWS": USER}, USER, A),
    ("other user", {"AWS": USER}, OTHER, I),
    ("anonymous not an account member", {"AWS": "123456789012"}, "anonymous", I),
    ("account id", {"AWS": "123456789012"}, USER, A),
    ("account id other", {"AWS": "123456789012"}, OTHER, I),
    ("account root", {"AWS": "arn:aws:iam::123456789012:root"}, SESSION, A),
    ("role matches session", {"AWS": ROLE}, SESSION, A),
    ("role does not match other role session", {"AWS": ROLE},
     "arn:aws:sts::123456789012:assumed-role/Other/s", I),
    ("session ARN exact", {"AWS": SESSION}, SESSION, A),
    ("list", {"AWS": [OTHER, USER]}, USER, A),
    ("service principal", {"Service": "lambda.amazonaws.com"}, "lambda.amazonaws.com", A),
]


@pytest.mark.parametrize(("name", "principal", "caller", "expected"), PRINCIPALS, ids=[c[0] for c in PRINCIPALS])
def test_principal(name: str, principal: Any, caller: str, expected: Effect) -> None:
    assert run([stmt(Principal=principal)], principal=caller) is expected


def test_not_principal() -> None:
    deny_others = [stmt(Principal="*"), stmt("Deny", NotPrincipal={"AWS": ["123456789012"]})]
    assert run(deny_others, principal=USER) is A
    assert run(deny_others, principal=OTHER) is X
    assert run(deny_others, principal="anonymous") is X


def test_principal_not_consulted_for_identity_policies() -> None:
    assert run([stmt(Principal={"AWS": OTHER})], principal=None) is A


# --- Conditions -------------------------------------------------------------------------------------------------

T0 = "2024-06-01T12:00:00Z"
CONDITIONS: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("StringEquals", {"StringEquals": {"aws:PrincipalTag/team": "payments"}}, {"aws:PrincipalTag/team": "payments"},
     True),
    ("StringEquals differs", {"StringEquals": {"aws:PrincipalTag/team": "payments"}},
     {"aws:PrincipalTag/team": "Payments"}, False),
    ("StringEquals missing key", {"StringEquals": {"aws:PrincipalTag/team": "payments"}}, {}, False),
    ("StringEquals OR of values", {"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
    ("keys case-insensitive", {"StringEquals": {"AWS:principaltag/Team": "x"}}, {"aws:PrincipalTag/team": "x"}, True),
    ("two keys AND", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, False),
    ("two operators AND", {"StringEquals": {"a": "1"}, "Bool": {"aws:SecureTransport": "true"}},
     {"a": "1", "aws:SecureTransport": True}, True),
    ("StringNotEquals", {"StringNotEquals": {"k": ["a", "b"]}}, {"k": "c"}, True),
    ("StringNotEquals matches one", {"StringNotEquals": {"k": ["a", "b"]}}, {"k": "b"}, False),
    ("StringNotEquals missing key is true", {"StringNotEquals": {"k": "a"}}, {}, True),
    ("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {"k": "PayMents"}}, {"k": "payments"}, True),
    ("StringNotEqualsIgnoreCase", {"StringNotEqualsIgnoreCase": {"k": "PayMents"}}, {"k": "payments"}, False),
    ("StringLike", {"StringLike": {"k": "team-*"}}, {"k": "team-42"}, True),
    ("StringLike ?", {"StringLike": {"k": "v?"}}, {"k": "v10"}, False),
    ("StringLike case-sensitive", {"StringLike": {"k": "Team-*"}}, {"k": "team-42"}, False),
    ("StringNotLike", {"StringNotLike": {"k": "team-*"}}, {"k": "ops"}, True),
    ("StringEquals number value", {"StringEquals": {"k": 42}}, {"k": "42"}, True),
    ("NumericLessThan", {"NumericLessThan": {"n": "10"}}, {"n": 9}, True),
    ("NumericLessThan equal", {"NumericLessThan": {"n": 10}}, {"n": "10"}, False),
    ("NumericLessThanEquals", {"NumericLessThanEquals": {"n": 10}}, {"n": "10"}, True),
    ("NumericGreaterThan", {"NumericGreaterThan": {"n": "1.5"}}, {"n": 2}, True),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "3"}}, {"n": 2}, False),
    ("NumericEquals", {"NumericEquals": {"n": "3"}}, {"n": "3.0"}, True),
    ("NumericNotEquals", {"NumericNotEquals": {"n": "3"}}, {"n": 4}, True),
    ("Numeric non-number request value", {"NumericEquals": {"n": "3"}}, {"n": "three"}, False),
    ("DateLessThan", {"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}, {"aws:CurrentTime": T0}, True),
    ("DateGreaterThan", {"DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}, {"aws:CurrentTime": T0},
     False),
    ("Date datetime value", {"DateGreaterThanEquals": {"aws:CurrentTime": "2024-06-01"}},
     {"aws:CurrentTime": datetime(2024, 6, 1, 12, tzinfo=UTC)}, True),
    ("Date epoch value", {"DateLessThanEquals": {"aws:EpochTime": 1717243200}}, {"aws:EpochTime": "1717243200"},
     True),
    ("Date offset", {"DateEquals": {"t": "2024-06-01T14:00:00+02:00"}}, {"t": T0}, True),
    ("DateNotEquals", {"DateNotEquals": {"t": T0}}, {"t": T0}, False),
    ("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
    ("Bool false", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}, False),
    ("Bool json bool", {"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
    ("Bool missing", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    ("BoolIfExists missing", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    ("IpAddress CIDR", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
    ("IpAddress outside", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.7"},
     False),
    ("IpAddress single", {"IpAddress": {"aws:SourceIp": "127.0.0.1"}}, {"aws:SourceIp": "127.0.0.1"}, True),
    ("IpAddress list", {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}},
     {"aws:SourceIp": "127.1.2.3"}, True),
    ("IpAddress IPv6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8:1::5"}, True),
    ("IpAddress v4 vs v6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "10.0.0.1"}, False),
    ("IpAddress v4-mapped", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "::ffff:127.0.0.1"},
     True),
    ("IpAddress bad request ip", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "nope"}, False),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, True),
    ("NotIpAddress inside", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.1.1"}, False),
    ("ArnLike", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ops/*"}}, {"aws:PrincipalArn": ROLE}, True),
    ("ArnLike field by field", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}, {"aws:PrincipalArn": ROLE},
     False),
    ("ArnLike star value", {"ArnLike": {"aws:PrincipalArn": "*"}}, {"aws:PrincipalArn": ROLE}, True),
    ("ArnEquals", {"ArnEquals": {"aws:PrincipalArn": USER}}, {"aws:PrincipalArn": USER}, True),
    ("ArnNotLike", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}}, {"aws:PrincipalArn": OTHER},
     True),
    ("ArnLike not an arn", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}}, {"aws:PrincipalArn": "bob"},
     False),
    ("Null true absent", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ("Null true present", {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": T0}, False),
    ("Null false present", {"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": T0}, True),
    ("Null false absent", {"Null": {"aws:TokenIssueTime": False}}, {}, False),
    ("IfExists present", {"StringEqualsIfExists": {"k": "a"}}, {"k": "b"}, False),
    ("IfExists absent", {"StringEqualsIfExists": {"k": "a"}}, {}, True),
    ("IpAddressIfExists absent", {"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    ("ForAnyValue one matches", {"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x", "b"]}, True),
    ("ForAnyValue none", {"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["x", "y"]}, False),
    ("ForAnyValue missing", {"ForAnyValue:StringEquals": {"tags": ["a"]}}, {}, False),
    ("ForAnyValue empty", {"ForAnyValue:StringEquals": {"tags": ["a"]}}, {"tags": []}, False),
    ("ForAllValues subset", {"ForAllValues:StringEquals": {"tags": ["a", "b", "c"]}}, {"tags": ["a", "c"]}, True),
    ("ForAllValues extra", {"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a", "z"]}, False),
    ("ForAllValues missing is true", {"ForAllValues:StringEquals": {"tags": ["a"]}}, {}, True),
    ("ForAllValues empty is true", {"ForAllValues:StringEquals": {"tags": ["a"]}}, {"tags": []}, True),
    ("ForAllValues StringLike", {"ForAllValues:StringLike": {"tags": ["team-*"]}}, {"tags": ["team-a", "team-b"]},
     True),
    ("ForAnyValue StringNotEquals", {"ForAnyValue:StringNotEquals": {"tags": ["a"]}}, {"tags": ["a", "b"]}, True),
    ("ForAllValues StringNotEquals", {"ForAllValues:StringNotEquals": {"tags": ["a"]}}, {"tags": ["a", "b"]}, False),
    ("multi-valued plain positive", {"StringEquals": {"tags": "b"}}, {"tags": ["a", "b"]}, True),
    ("multi-valued plain negated", {"StringNotEquals": {"tags": "b"}}, {"tags": ["a", "b"]}, False),
    ("None value is missing", {"StringEquals": {"k": "a"}}, {"k": None}, False),
    ("operator case-insensitive", {"stringequals": {"k": "a"}}, {"k": "a"}, True),
]


@pytest.mark.parametrize(("name", "condition", "context", "holds"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_condition(name: str, condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    allow = run([stmt(Condition=condition)], context=context)
    assert allow is (A if holds else I)
    deny = run([stmt(), stmt("Deny", Condition=condition)], context=context)
    assert deny is (X if holds else A)


# --- AWS's documented examples -------------------------------------------------------------------------------

def test_aws_example_ip_allowlist_resource_policy() -> None:
    """API Gateway developer guide, "Allow only specified source IP" / "Deny by source IP" examples."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": "execute-api:/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
             "Resource": "execute-api:/*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "198.51.100.0/24"]}}},
        ],
    }
    d = PolicyDocument.parse(policy)
    assert evaluate([d], INVOKE, "execute-api:/prod/GET/pets", {"aws:SourceIp": "192.0.2.10"}, "anonymous") is A
    assert evaluate([d], INVOKE, "execute-api:/prod/GET/pets", {"aws:SourceIp": "203.0.113.1"}, "anonymous") is X


def test_aws_example_lambda_authorizer_blueprint_policy() -> None:
    """The Lambda authorizer blueprint's output shape: Statement a list, Action a string, Resource a list."""
    d = PolicyDocument.parse({"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow",
         "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/*"]},
        {"Action": "execute-api:Invoke", "Effect": "Deny",
         "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/admin"]},
    ]})
    assert evaluate([d], INVOKE, ARN) is A
    assert evaluate([d], INVOKE, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/admin") is X
    assert evaluate([d], INVOKE, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/pets") is I


def test_aws_example_time_window_and_mfa() -> None:
    """IAM user guide examples: allow within dates; deny when MFA is absent (BoolIfExists)."""
    d = PolicyDocument.parse({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:*", "Resource": "*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                       "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ]})
    inside = {"aws:CurrentTime": "2020-05-01T00:00:00Z", "aws:MultiFactorAuthPresent": True}
    assert evaluate([d], INVOKE, ARN, inside) is A
    assert evaluate([d], INVOKE, ARN, {**inside, "aws:CurrentTime": "2020-07-01T00:00:00Z"}) is I
    assert evaluate([d], INVOKE, ARN, {"aws:CurrentTime": "2020-05-01T00:00:00Z"}) is X  # key absent: deny applies
    assert evaluate([d], INVOKE, ARN, {**inside, "aws:MultiFactorAuthPresent": False}) is X


def test_aws_example_cross_account_principal() -> None:
    """API Gateway resource policy example: allow another account's role (and its sessions)."""
    d = PolicyDocument.parse({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::account-id-2:root", "arn:aws:iam::999999999999:root"]},
        "Action": "execute-api:Invoke", "Resource": "execute-api:/stage/*"}]})
    assert evaluate([d], INVOKE, "execute-api:/stage/GET/x", principal=OTHER) is A
    assert evaluate([d], INVOKE, "execute-api:/stage/GET/x", principal=USER) is I


def test_statement_object_and_json_text() -> None:
    text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}'
    assert evaluate([PolicyDocument.parse(text)], INVOKE, ARN) is A


def test_sid_and_effect_exposed() -> None:
    d = doc(stmt("Deny", Sid="NoAdmin"))
    assert d.statements[0].sid == "NoAdmin"
    assert d.statements[0].effect == "Deny"


# --- Malformed documents -----------------------------------------------------------------------------------------

BAD: list[tuple[Any, str]] = [
    ("not json", "not valid JSON"),
    ([], "JSON object"),
    ({"Version": "2012-10-17"}, "missing Statement"),
    ({"Version": "2020-01-01", "Statement": []}, "Version"),
    ({"Statement": [stmt()], "Extra": 1}, "unknown element"),
    ({"Statement": "x"}, "Statement"),
    ({"Statement": [stmt("allow")]}, "Effect"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "missing Action"),
    ({"Statement": [stmt(NotAction="x:y")]}, "either Action or NotAction"),
    ({"Statement": [stmt(resource=None)]}, "missing Resource"),
    ({"Statement": [stmt(action="Invoke")]}, "service:Action"),
    ({"Statement": [stmt(action=[])]}, "non-empty"),
    ({"Statement": [stmt(resource=[1])]}, "non-empty"),
    ({"Statement": [stmt(Principal="someone")]}, "Principal"),
    ({"Statement": [stmt(Principal={"Bogus": "x"})]}, "unknown principal type"),
    ({"Statement": [stmt(Principal="*", NotPrincipal="*")]}, "not both"),
    ({"Statement": [stmt(Condition={"StringEqualz": {"k": "v"}})]}, "unknown condition operator"),
    ({"Statement": [stmt(Condition={"StringEquals": "k"})]}, "non-empty object"),
    ({"Statement": [stmt(Condition={"StringEquals": {"k": []}})]}, "condition values"),
    ({"Statement": [stmt(Condition={"StringEquals": {"k": {"a": 1}}})]}, "condition values"),
    ({"Statement": [stmt(Condition={"NumericLessThan": {"n": "ten"}})]}, "numbers"),
    ({"Statement": [stmt(Condition={"DateLessThan": {"t": "yesterday"}})]}, "ISO 8601"),
    ({"Statement": [stmt(Condition={"IpAddress": {"aws:SourceIp": "300.1.1.1"}})]}, "CIDR"),
    ({"Statement": [stmt(Condition={"Bool": {"b": "yes"}})]}, "true or false"),
    ({"Statement": [stmt(Condition={"Null": {"k": "maybe"}})]}, "Null"),
    ({"Statement": [stmt(Condition={"NullIfExists": {"k": "true"}})]}, "Null"),
    ({"Statement": [stmt(Bogus=1)]}, "unknown statement element"),
]


@pytest.mark.parametrize(("raw", "fragment"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_malformed(raw: Any, fragment: str) -> None:
    with pytest.raises(PolicyError) as info:
        PolicyDocument.parse(raw)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_evaluate_is_fast() -> None:
    """Parsed once, evaluated per request: 20 statements with globs and conditions, well under 50 µs each."""
    import time

    statements = [stmt(resource=f"arn:aws:execute-api:*:*:abc123/prod/GET/other{i}/*",
                       Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}) for i in range(19)]
    statements.append(stmt(resource="arn:aws:execute-api:*:*:abc123/prod/GET/pets/*"))
    d = doc(*statements)
    ctx = {"aws:SourceIp": "10.1.2.3"}
    n = 2000
    start = time.thread_time()  # this thread's CPU time: waiting for a core on a loaded machine is not counted
    for _ in range(n):
        assert evaluate([d], INVOKE, ARN, ctx) is A
    per_call = (time.thread_time() - start) / n
    assert per_call < 200e-6
