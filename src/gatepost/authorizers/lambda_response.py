"""What a Lambda authorizer returned, validated once into an AuthorizerResult (reference section 1.4).

Two shapes:
- IAM policy response (REST, HTTP payload 1.0, HTTP 2.0 without simple responses): `principalId`
  (string; a number is stringified) and `policyDocument` required; `context` and `usageIdentifierKey`
  optional.
- Simple response (HTTP payload 2.0 with `enable_simple_responses`): `isAuthorized`, a real boolean,
  and an optional `context`.

Context values: REST and HTTP payload 1.0 allow only strings, numbers and booleans (anything else is
AWS's "could not parse" configuration error); HTTP 2.0 also allows arrays and maps. Anything else in
the output (an HTTP-style `{statusCode, body}`, `null`, a string) is malformed: a configuration error.

The normalized result is what the cache stores (`encode` / `decode`), so a hit is validated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gatepost.policy.errors import PolicyError
from gatepost.policy.evaluate import PolicyDocument

MAX_RESOURCE_CHARS = 512  # AWS: policy Resource ARNs in an authorizer's output are limited to 512 characters


class MalformedOutput(ValueError):
    """The authorizer answered something API Gateway could not use; `reason` is the stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OutputRules:
    simple: bool  # HTTP 2.0 with enable_simple_responses
    rich_context: bool  # HTTP 2.0: arrays and maps allowed in context
    reserved_context_keys: frozenset[str] = frozenset()  # HTTP 1.0: "claims"


@dataclass(frozen=True, slots=True, eq=False)
class AuthorizerResult:
    principal_id: str | None
    policy: PolicyDocument | None  # None for simple responses
    is_authorized: bool | None  # simple responses only
    context: Mapping[str, Any] | None
    usage_identifier_key: str | None
    normalized: Mapping[str, Any]  # what `encode` stores
    has_conditions: bool = False  # the policy has Condition blocks (evaluation then needs request keys)

    def encode(self) -> bytes:
        return orjson.dumps(self.normalized)


def parse_output(output: Any, rules: OutputRules) -> AuthorizerResult:
    if not isinstance(output, dict):
        raise MalformedOutput("lambda.malformed", f"output is {type(output).__name__}, not an object")
    context = _context(output.get("context"), rules)
    if rules.simple:
        return _simple(output, context)
    return _policy_response(output, context)


def decode(data: bytes, rules: OutputRules) -> AuthorizerResult:
    return parse_output(orjson.loads(data), rules)


def _simple(output: dict[str, Any], context: dict[str, Any] | None) -> AuthorizerResult:
    allowed = output.get("isAuthorized")
    if not isinstance(allowed, bool):
        raise MalformedOutput("lambda.malformed", "isAuthorized must be a boolean (true or false)")
    normalized: dict[str, Any] = {"isAuthorized": allowed}
    if context is not None:
        normalized["context"] = context
    return AuthorizerResult(None, None, allowed, context, None, normalized)


def _policy_response(output: dict[str, Any], context: dict[str, Any] | None) -> AuthorizerResult:
    principal = output.get("principalId")
    if isinstance(principal, bool) or not isinstance(principal, str | int | float):
        raise MalformedOutput("lambda.malformed", "principalId is required (a string)")
    raw_policy = output.get("policyDocument")
    if not isinstance(raw_policy, dict):
        raise MalformedOutput("lambda.malformed", "policyDocument is required (an IAM policy object)")
    _check_resource_lengths(raw_policy)
    try:
        policy = PolicyDocument.parse(raw_policy)
    except PolicyError as exc:
        raise MalformedOutput("lambda.policy_invalid", f"could not parse policy: {exc}") from None
    usage_key = output.get("usageIdentifierKey")
    if usage_key is not None and not isinstance(usage_key, str):
        raise MalformedOutput("lambda.malformed", "usageIdentifierKey must be a string")
    normalized: dict[str, Any] = {"principalId": str(principal), "policyDocument": raw_policy}
    if context is not None:
        normalized["context"] = context
    if usage_key is not None:
        normalized["usageIdentifierKey"] = usage_key
    conditions = any(st.conditions for st in policy.statements)
    return AuthorizerResult(str(principal), policy, None, context, usage_key, normalized, conditions)


def _check_resource_lengths(raw_policy: dict[str, Any]) -> None:
    statements = raw_policy.get("Statement")
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict):
            continue
        for key in ("Resource", "NotResource"):
            value = st.get(key)
            for resource in value if isinstance(value, list) else [value]:
                if isinstance(resource, str) and len(resource) > MAX_RESOURCE_CHARS:
                    raise MalformedOutput("lambda.policy_invalid",
                                          f"a policy Resource is longer than {MAX_RESOURCE_CHARS} characters")


def _context(raw: Any, rules: OutputRules) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise MalformedOutput("lambda.context_invalid", "context must be an object")
    for key, value in raw.items():
        if key in rules.reserved_context_keys:
            raise MalformedOutput("lambda.context_invalid", f"context key {key!r} is reserved")
        if not rules.rich_context and (value is None or not isinstance(value, str | int | float | bool)):
            raise MalformedOutput("lambda.context_invalid",
                                  f"context value of {key!r} is {type(value).__name__}: only strings, numbers "
                                  "and booleans are allowed")
    try:
        return orjson.loads(orjson.dumps(raw))  # a plain JSON copy: the caller keeps no reference into it
    except TypeError as exc:
        raise MalformedOutput("lambda.context_invalid", f"context is not JSON: {exc}") from None


def stringify(value: Any) -> str:
    """A context value as REST exposes it (`$context.authorizer.key`): `1` -> "1", `true` -> "true"."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
