"""What `Ref` and `Fn::GetAtt` return for a template's own resources, run locally.

CloudFormation makes up physical ids at deploy time; here they are derived from the logical id (or the
resource's own name property), stable from one start to the next, so the ARNs an API names (Lambda
functions, user pools, roles) can be mapped back to the local resource that stands behind them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gatepost.templates.parameters import Pseudo

_ALNUM = re.compile(r"[^0-9A-Za-z]+")
# resource type -> property naming it (what Ref returns when set)
_NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName", "AWS::Serverless::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::ApiGateway::DomainName": "DomainName", "AWS::ApiGatewayV2::DomainName": "DomainName",
    "AWS::ApiGateway::Stage": "StageName", "AWS::ApiGatewayV2::Stage": "StageName",
}


def name_of(logical_id: str, resource: Mapping[str, Any]) -> str:
    props = resource.get("Properties") or {}
    value = props.get(_NAME_PROPERTY.get(str(resource.get("Type")), ""), None) if isinstance(props, Mapping) else None
    return value if isinstance(value, str) and value else logical_id


def pool_id(logical_id: str, pseudo: Pseudo) -> str:
    return f"{pseudo.region}_{_ALNUM.sub('', logical_id)}"


def client_id(logical_id: str) -> str:
    return _ALNUM.sub("", logical_id).lower() or "client"


def api_id(logical_id: str) -> str:
    return (_ALNUM.sub("", logical_id).lower() or "api")[:10]


def function_arn(name: str, pseudo: Pseudo) -> str:
    return f"arn:{pseudo.partition}:lambda:{pseudo.region}:{pseudo.account_id}:function:{name}"


def pool_arn(logical_id: str, pseudo: Pseudo) -> str:
    return f"arn:{pseudo.partition}:cognito-idp:{pseudo.region}:{pseudo.account_id}:userpool/" \
           f"{pool_id(logical_id, pseudo)}"


def ref(logical_id: str, resource: Mapping[str, Any], pseudo: Pseudo) -> str:
    rtype = str(resource.get("Type"))
    if rtype == "AWS::Cognito::UserPool":
        return pool_id(logical_id, pseudo)
    if rtype == "AWS::Cognito::UserPoolClient":
        return client_id(logical_id)
    if rtype in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Serverless::Api",
                 "AWS::Serverless::HttpApi"):
        return api_id(logical_id)
    return name_of(logical_id, resource)


def get_att(logical_id: str, resource: Mapping[str, Any], attribute: str, pseudo: Pseudo) -> str | None:
    """The attribute's value (None: an attribute the resource type does not have)."""
    rtype = str(resource.get("Type"))
    name = name_of(logical_id, resource)
    p = pseudo
    if rtype in ("AWS::Lambda::Function", "AWS::Serverless::Function") and attribute == "Arn":
        return function_arn(name, p)
    if rtype == "AWS::Cognito::UserPool":
        pid = pool_id(logical_id, p)
        return {"Arn": pool_arn(logical_id, p), "ProviderName": f"cognito-idp.{p.region}.{p.url_suffix}/{pid}",
                "ProviderURL": f"https://cognito-idp.{p.region}.{p.url_suffix}/{pid}", "UserPoolId": pid}.get(attribute)
    if rtype == "AWS::Cognito::UserPoolClient" and attribute == "ClientId":
        return client_id(logical_id)
    if rtype == "AWS::IAM::Role":
        return {"Arn": f"arn:{p.partition}:iam::{p.account_id}:role/{name}", "RoleId": f"AROA{name.upper()}"}.get(
            attribute)
    if rtype in ("AWS::ApiGateway::RestApi", "AWS::Serverless::Api"):
        return {"RootResourceId": "root", "RestApiId": api_id(logical_id)}.get(attribute)
    if rtype in ("AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi"):
        return {"ApiId": api_id(logical_id),
                "ApiEndpoint": f"https://{api_id(logical_id)}.execute-api.{p.region}.{p.url_suffix}"}.get(attribute)
    if rtype == "AWS::ApiGateway::Resource" and attribute == "ResourceId":
        return logical_id
    return placeholder(logical_id, rtype, attribute, pseudo)


def placeholder(logical_id: str, rtype: str, attribute: str, pseudo: Pseudo) -> str:
    """Another resource's attribute (a table's ARN in a function's environment...): a stable stand-in. It
    never matches a binding, so if it ends up where the gateway needs a real value (an authorizer's function,
    a pool), the import refuses it by name."""
    service = rtype.split("::")[1].lower() if rtype.count("::") == 2 else "unknown"
    if attribute == "Arn" or attribute.endswith("Arn"):
        return f"arn:{pseudo.partition}:{service}:{pseudo.region}:{pseudo.account_id}:{logical_id}"
    return f"{logical_id}.{attribute}"
