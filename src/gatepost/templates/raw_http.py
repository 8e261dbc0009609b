"""An HTTP API built from raw resources (`AWS::ApiGatewayV2::Route`, `Integration`, `Authorizer`; no `Body`)
-> the OpenAPI 3 document API Gateway would export for it, imported like any export (apis.py).

- `Route` (`RouteKey` `GET /x`, `ANY /x`, `$default`; `Target: integrations/ID`): an operation with
  that integration;
- `AuthorizationType` NONE / AWS_IAM / JWT / CUSTOM, `AuthorizerId`, `AuthorizationScopes`: its
  `security` (or `x-amazon-apigateway-auth: AWS_IAM`);
- `Integration` AWS_PROXY (a function ARN) / HTTP_PROXY, `PayloadFormatVersion`, `TimeoutInMillis`:
  `x-amazon-apigateway-integration`;
- `Authorizer` JWT (`JwtConfiguration`) / REQUEST (simple responses, payload version, TTL): a scheme.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.config.located import Loc
from gatepost.templates.intrinsics import Resolver, of_type

ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
TYPES = (ROUTE, INTEGRATION, AUTHORIZER)


def synthesize(resolver: Resolver, logical_id: str, api_id: str, origins: dict[Loc, Loc]) -> dict[str, Any] | None:
    mine = lambda p: str(p.get("ApiId")) == api_id  # noqa: E731
    routes = [(rid, p) for rid, p in of_type(resolver, ROUTE) if mine(p)]
    if not routes:
        return None
    integrations = {iid: p for iid, p in of_type(resolver, INTEGRATION) if mine(p)}
    authorizers = {aid: p for aid, p in of_type(resolver, AUTHORIZER) if mine(p)}
    region = resolver.params.pseudo.region
    doc: dict[str, Any] = {"openapi": "3.0.1", "info": {"title": logical_id}, "paths": {},
                           "components": {"securitySchemes": {}}}
    schemes = doc["components"]["securitySchemes"]
    for rid, route in routes:
        key = str(route.get("RouteKey", ""))
        verb, _, path = key.partition(" ") if key != "$default" else ("ANY", " ", "/$default")
        method = "x-amazon-apigateway-any-method" if verb.upper() == "ANY" else verb.lower()
        op: dict[str, Any] = {"responses": {}}
        target = str(route.get("Target", "")).removeprefix("integrations/")
        if target in integrations:
            op["x-amazon-apigateway-integration"] = _integration(integrations[target], region)
        atype = str(route.get("AuthorizationType", "NONE")).upper()
        if atype == "AWS_IAM":
            op["x-amazon-apigateway-auth"] = {"type": "AWS_IAM"}
            op["security"] = []
        elif atype in ("JWT", "CUSTOM"):
            aid = str(route.get("AuthorizerId"))
            authorizer = authorizers.get(aid) or {}
            name = str(authorizer.get("Name") or aid)
            if authorizer and name not in schemes:
                schemes[name] = _scheme(authorizer, region)
                origins[("components", "securitySchemes", name)] = ("Resources", aid)
            op["security"] = [{name: [str(s) for s in route.get("AuthorizationScopes") or []]}]
        else:
            op["security"] = []
        doc["paths"].setdefault(path, {})[method] = op
        origins[("paths", path, method)] = ("Resources", rid)
    return doc


def _lambda_uri(uri: str, region: str) -> str:
    """A function ARN (what V2 integrations name) -> the invocation URI the import reads."""
    if uri.startswith("arn:") and ":lambda:" in uri and ":function:" in uri:
        return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{uri}/invocations"
    return uri


def _integration(integ: Mapping[str, Any], region: str) -> dict[str, Any]:
    itype = str(integ.get("IntegrationType", "")).lower()
    out: dict[str, Any] = {"type": itype, "uri": _lambda_uri(str(integ.get("IntegrationUri", "")), region),
                           "payloadFormatVersion": str(integ.get("PayloadFormatVersion", "2.0" if itype ==
                                                                 "aws_proxy" else "1.0"))}
    for aws, openapi in (("IntegrationMethod", "httpMethod"), ("TimeoutInMillis", "timeoutInMillis"),
                         ("IntegrationSubtype", "integrationSubtype")):
        if integ.get(aws) is not None:
            out[openapi] = integ[aws]
    return out


def _scheme(authorizer: Mapping[str, Any], region: str) -> dict[str, Any]:
    sources = authorizer.get("IdentitySource") or ["$request.header.Authorization"]
    sources = sources if isinstance(sources, list) else [sources]
    if str(authorizer.get("AuthorizerType", "")).upper() == "JWT":
        conf = authorizer.get("JwtConfiguration") or {}
        return {"type": "oauth2", "x-amazon-apigateway-authorizer": {
            "type": "jwt", "identitySource": ",".join(str(s) for s in sources),
            "jwtConfiguration": {"issuer": conf.get("Issuer"), "audience": list(conf.get("Audience") or [])}}}
    auth: dict[str, Any] = {"type": "request", "identitySource": ",".join(str(s) for s in sources),
                            "authorizerUri": _lambda_uri(str(authorizer.get("AuthorizerUri", "")), region)}
    for aws, openapi in (("AuthorizerPayloadFormatVersion", "authorizerPayloadFormatVersion"),
                         ("EnableSimpleResponses", "enableSimpleResponses"),
                         ("AuthorizerResultTtlInSeconds", "authorizerResultTtlInSeconds")):
        if authorizer.get(aws) is not None:
            auth[openapi] = authorizer[aws]
    return {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authorizer": auth}
