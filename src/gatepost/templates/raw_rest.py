"""A REST API built from raw resources (`AWS::ApiGateway::Resource`, `Method`, `Authorizer`; no `Body`)
-> the Swagger 2 document API Gateway would export for it, imported like any export (apis.py).

- `Resource` (`ParentId`, `PathPart`): the path, parents first (`RootResourceId` is `/`);
- `Method` (`HttpMethod`, `Integration`): an operation (`ANY`: `x-amazon-apigateway-any-method`) with
  its `x-amazon-apigateway-integration`;
- `AuthorizationType` NONE / AWS_IAM / CUSTOM / COGNITO_USER_POOLS, `AuthorizerId`, `AuthorizationScopes`:
  its `security` (or `x-amazon-apigateway-auth: AWS_IAM`); `ApiKeyRequired`: `api_key` in the same
  requirement;
- `Authorizer` TOKEN / REQUEST / COGNITO_USER_POOLS: a scheme with `x-amazon-apigateway-authorizer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.config.located import Loc
from gatepost.templates.intrinsics import Resolver, of_type

RESOURCE = "AWS::ApiGateway::Resource"
METHOD = "AWS::ApiGateway::Method"
AUTHORIZER = "AWS::ApiGateway::Authorizer"
TYPES = (RESOURCE, METHOD, AUTHORIZER)
API_KEY_SCHEME = "api_key"
ROOT = "root"  # what Fn::GetAtt Api.RootResourceId gives (identities.py)


def synthesize(resolver: Resolver, logical_id: str, api_id: str, props: Mapping[str, Any],
               origins: dict[Loc, Loc]) -> dict[str, Any] | None:
    """The Swagger document, or None when no Method belongs to this API. origins: document place ->
    the template resource it came from (for located errors)."""
    mine = lambda p: str(p.get("RestApiId")) == api_id  # noqa: E731
    resources = {rid: p for rid, p in of_type(resolver, RESOURCE) if mine(p)}
    methods = [(mid, p) for mid, p in of_type(resolver, METHOD) if mine(p)]
    if not methods:
        return None
    authorizers = {aid: p for aid, p in of_type(resolver, AUTHORIZER) if mine(p)}
    doc: dict[str, Any] = {"swagger": "2.0", "info": {"title": logical_id}, "paths": {}, "securityDefinitions": {}}
    for mid, method in methods:
        path = _path(str(method.get("ResourceId")), resources)
        verb = str(method.get("HttpMethod", "")).upper()
        key = "x-amazon-apigateway-any-method" if verb == "ANY" else verb.lower()
        doc["paths"].setdefault(path, {})[key] = _operation(method, authorizers, doc["securityDefinitions"], origins)
        origins[("paths", path, key)] = ("Resources", mid)
    if props.get("Policy") is not None:
        doc["x-amazon-apigateway-policy"] = props["Policy"]
    if props.get("ApiKeySourceType"):
        doc["x-amazon-apigateway-api-key-source"] = props["ApiKeySourceType"]
    return doc


def _path(resource_id: str, resources: Mapping[str, Mapping[str, Any]], depth: int = 0) -> str:
    if resource_id == ROOT or resource_id not in resources or depth > 50:
        return "/"
    resource = resources[resource_id]
    parent = _path(str(resource.get("ParentId")), resources, depth + 1)
    return parent.rstrip("/") + "/" + str(resource.get("PathPart", ""))


def _operation(method: Mapping[str, Any], authorizers: Mapping[str, Mapping[str, Any]],
               schemes: dict[str, Any], origins: dict[Loc, Loc]) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {}}
    integration = method.get("Integration")
    if isinstance(integration, Mapping):
        op["x-amazon-apigateway-integration"] = _integration(integration)
    requirement: dict[str, list[str]] = {}
    atype = str(method.get("AuthorizationType", "NONE")).upper()
    if atype == "AWS_IAM":
        op["x-amazon-apigateway-auth"] = {"type": "AWS_IAM"}
    elif atype in ("CUSTOM", "COGNITO_USER_POOLS"):
        aid = str(method.get("AuthorizerId"))
        authorizer = authorizers.get(aid)
        name = str((authorizer or {}).get("Name") or aid)
        if authorizer is not None and name not in schemes:
            schemes[name] = _scheme(authorizer)
            origins[("securityDefinitions", name)] = ("Resources", aid)
        requirement[name] = [str(s) for s in method.get("AuthorizationScopes") or []]
    if method.get("ApiKeyRequired"):
        schemes.setdefault(API_KEY_SCHEME, {"type": "apiKey", "name": "x-api-key", "in": "header"})
        requirement[API_KEY_SCHEME] = []
    op["security"] = [requirement] if requirement else []
    return op


def _integration(integ: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(integ.get("Type", "")).lower()}
    for aws, openapi in (("Uri", "uri"), ("IntegrationHttpMethod", "httpMethod"),
                         ("TimeoutInMillis", "timeoutInMillis"), ("RequestTemplates", "requestTemplates"),
                         ("RequestParameters", "requestParameters"), ("Credentials", "credentials")):
        if integ.get(aws) is not None:
            out[openapi] = integ[aws]
    responses = {}
    for i, response in enumerate(integ.get("IntegrationResponses") or []):
        if isinstance(response, Mapping):
            key = str(response.get("SelectionPattern") or ("default" if i == 0 else response.get("StatusCode")))
            responses[key] = {"statusCode": str(response.get("StatusCode", "200")),
                              "responseTemplates": response.get("ResponseTemplates") or {},
                              "responseParameters": response.get("ResponseParameters") or {}}
    if responses:
        out["responses"] = responses
    return out


def _scheme(authorizer: Mapping[str, Any]) -> dict[str, Any]:
    atype = str(authorizer.get("Type", "")).upper()
    source = str(authorizer.get("IdentitySource") or "method.request.header.Authorization")
    header = source.removeprefix("method.request.header.") if source.startswith("method.request.header.") \
        and "," not in source else "Authorization"
    auth: dict[str, Any] = {"type": atype.lower()}
    for aws, openapi in (("AuthorizerUri", "authorizerUri"), ("IdentitySource", "identitySource"),
                         ("IdentityValidationExpression", "identityValidationExpression"),
                         ("AuthorizerResultTtlInSeconds", "authorizerResultTtlInSeconds"),
                         ("ProviderARNs", "providerARNs")):
        if authorizer.get(aws) is not None:
            auth[openapi] = authorizer[aws]
    authtype = "cognito_user_pools" if atype == "COGNITO_USER_POOLS" else "custom"
    return {"type": "apiKey", "name": header, "in": "header", "x-amazon-apigateway-authtype": authtype,
            "x-amazon-apigateway-authorizer": auth}
