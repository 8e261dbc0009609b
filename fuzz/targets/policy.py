"""IAM policy documents (resource policies, identity policies): drawn documents are parsed (PolicyError for
a malformed one) and evaluated against drawn actions, resources and request contexts; evaluation never
raises, and the answer is one of Allow / ExplicitDeny / ImplicitDeny."""

from __future__ import annotations

import json
from typing import Any

from fuzz.draw import Draw
from gatepost.policy.document import PolicyDocument
from gatepost.policy.errors import PolicyError
from gatepost.policy.evaluate import Effect, evaluate

KEYS = ["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition",
        "Sid"]
ACTIONS = ["execute-api:Invoke", "execute-api:*", "*", "execute-api:Inv?ke", "s3:GetObject", "execute-api:"]
RESOURCES = ["arn:aws:execute-api:us-east-1:123456789012:api/stage/GET/pets/*", "*",
             "execute-api:/*", "arn:aws:execute-api:*:*:*/*/POST/*", "arn:aws:execute-api:us-east-1:1:a/b/GET/"]
OPERATORS = ["StringEquals", "StringLike", "StringNotEquals", "IpAddress", "NotIpAddress", "NumericLessThan",
             "DateGreaterThan", "Bool", "Null", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
             "StringEqualsIfExists", "ArnLike", "BinaryEquals", "Foo"]
CONTEXT_KEYS = ["aws:SourceIp", "aws:CurrentTime", "aws:EpochTime", "aws:SecureTransport", "aws:username",
                "aws:PrincipalTag/team", "aws:userid", "x"]
VALUES = ["10.0.0.0/8", "10.1.2.3", "::1", "2026-01-01T00:00:00Z", "true", "1", "*", "a*b", "", "300.1.1.1/99"]


def _value(d: Draw) -> Any:
    return d.choice(VALUES) if d.bool() else d.json_value()


def _statement(d: Draw) -> Any:
    if d.int(10) == 0:
        return d.json_value()
    st: dict[str, Any] = {"Effect": d.pick_or_text(["Allow", "Deny"])}
    for _ in range(d.int(5)):
        key = d.pick_or_text(KEYS)
        if key in ("Action", "NotAction"):
            st[key] = d.pick_or_text(ACTIONS) if d.bool() else [d.pick_or_text(ACTIONS) for _ in range(d.int(3))]
        elif key in ("Resource", "NotResource"):
            st[key] = d.pick_or_text(RESOURCES, 80) if d.bool() else [d.pick_or_text(RESOURCES) for _ in range(3)]
        elif key in ("Principal", "NotPrincipal"):
            st[key] = "*" if d.bool() else {"AWS": d.pick_or_text(["*", "arn:aws:iam::1:root", "123456789012"])}
        elif key == "Condition":
            st[key] = {d.pick_or_text(OPERATORS): {d.pick_or_text(CONTEXT_KEYS): _value(d) for _ in range(d.int(3))}
                       for _ in range(d.int(3))}
        else:
            st[key] = d.json_value()
    return st


def _context(d: Draw) -> dict[str, Any]:
    return {d.pick_or_text(CONTEXT_KEYS): _value(d) for _ in range(d.int(5))}


def one_input(data: bytes) -> None:
    d = Draw(data)
    raw: Any = {"Version": d.pick_or_text(["2012-10-17", "2008-10-17"]),
                "Statement": [_statement(d) for _ in range(1 + d.int(3))]}
    if d.int(8) == 0:
        raw = d.text(200)
    elif d.int(8) == 0:
        raw = json.dumps(raw)
    try:
        doc = PolicyDocument.parse(raw)
    except PolicyError:
        return
    for _ in range(1 + d.int(3)):
        effect = evaluate([doc], d.pick_or_text(ACTIONS), d.pick_or_text(RESOURCES, 80), _context(d),
                          d.pick_or_text(["arn:aws:iam::123456789012:user/alice", "*", ""]))
        if not isinstance(effect, Effect):
            raise AssertionError(f"evaluate answered {effect!r}")
