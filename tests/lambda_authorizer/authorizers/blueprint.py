"""A TOKEN authorizer in the style of AWS's published Python blueprint (awslabs/aws-apigateway-lambda-
authorizer-blueprints): a policy-builder class emitting several statements, wildcard resources and a
per-statement Condition. Written for these tests; the shape is the blueprint's."""

from __future__ import annotations

import re
from typing import Any

EVENTS: list[dict[str, Any]] = []


class HttpVerb:
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    HEAD = "HEAD"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"
    ALL = "*"


class AuthPolicy:
    version = "2012-10-17"
    path_regex = r"^[/.a-zA-Z0-9-\*]+$"

    def __init__(self, principal: str, account_id: str) -> None:
        self.account_id = account_id
        self.principal_id = principal
        self.allow_methods: list[dict[str, Any]] = []
        self.deny_methods: list[dict[str, Any]] = []
        self.rest_api_id = "*"
        self.region = "*"
        self.stage = "*"

    def _add_method(self, effect: str, verb: str, resource: str, conditions: dict[str, Any] | None) -> None:
        if verb != "*" and not hasattr(HttpVerb, verb):
            raise NameError("Invalid HTTP verb " + verb)
        if not re.match(self.path_regex, resource):
            raise NameError("Invalid resource path: " + resource)
        resource = resource[1:] if resource[:1] == "/" else resource
        arn = (f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.rest_api_id}/{self.stage}/"
               f"{verb}/{resource}")
        target = self.allow_methods if effect.lower() == "allow" else self.deny_methods
        target.append({"resourceArn": arn, "conditions": conditions})

    def _empty_statement(self, effect: str) -> dict[str, Any]:
        return {"Action": "execute-api:Invoke", "Effect": effect[:1].upper() + effect[1:].lower(), "Resource": []}

    def _statements(self, effect: str, methods: list[dict[str, Any]]) -> list[dict[str, Any]]:
        statements = []
        if methods:
            statement = self._empty_statement(effect)
            for method in methods:
                if not method["conditions"]:
                    statement["Resource"].append(method["resourceArn"])
                else:
                    conditional = self._empty_statement(effect)
                    conditional["Resource"].append(method["resourceArn"])
                    conditional["Condition"] = method["conditions"]
                    statements.append(conditional)
            if statement["Resource"]:
                statements.append(statement)
        return statements

    def allow_all_methods(self) -> None:
        self._add_method("Allow", HttpVerb.ALL, "*", None)

    def deny_all_methods(self) -> None:
        self._add_method("Deny", HttpVerb.ALL, "*", None)

    def allow_method(self, verb: str, resource: str) -> None:
        self._add_method("Allow", verb, resource, None)

    def deny_method(self, verb: str, resource: str) -> None:
        self._add_method("Deny", verb, resource, None)

    def allow_method_with_conditions(self, verb: str, resource: str, conditions: dict[str, Any]) -> None:
        self._add_method("Allow", verb, resource, conditions)

    def build(self) -> dict[str, Any]:
        if not self.allow_methods and not self.deny_methods:
            raise NameError("No statements defined for the policy")
        return {
            "principalId": self.principal_id,
            "policyDocument": {
                "Version": self.version,
                "Statement": self._statements("Allow", self.allow_methods)
                + self._statements("Deny", self.deny_methods),
            },
        }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    token = event["authorizationToken"]
    if not token.startswith("Bearer "):
        raise Exception("Unauthorized")
    user = token[len("Bearer "):]
    tmp = event["methodArn"].split(":")
    api_gateway_arn = tmp[5].split("/")
    policy = AuthPolicy("user|" + user, tmp[4])
    policy.rest_api_id = api_gateway_arn[0]
    policy.region = tmp[3]
    policy.stage = api_gateway_arn[1]
    if user == "admin":
        policy.allow_all_methods()
    elif user == "reader":
        policy.allow_method(HttpVerb.GET, "/pets/*")
        policy.allow_method(HttpVerb.GET, "/pets")
        policy.allow_method_with_conditions(HttpVerb.POST, "/pets", {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
        policy.allow_method_with_conditions(HttpVerb.PUT, "/pets/*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
        policy.deny_method(HttpVerb.DELETE, "/pets/*")
    elif user == "blocked":
        policy.deny_all_methods()
    else:
        raise Exception("Unauthorized")
    response = policy.build()
    response["context"] = {"key": "value", "number": 1, "bool": True}
    return response
