"""One security scheme of an AWS export -> one native authorizer config (the whole mapping, in one place).

| AWS (x-amazon-apigateway-authorizer / -authtype) | native |
|---|---|
| `awsSigv4` (any authtype starting with `aws`), `x-amazon-apigateway-auth: AWS_IAM` | `{type: iam}` |
| `cognito_user_pools` + `providerARNs` (one pool) | `{type: user_pool, issuer, identity_source}` + the pool's binding |
| `jwt` + `jwtConfiguration` (or `openIdConnectUrl`) | `{type: jwt, issuer, audiences, identity_source}` |
| `token` | `{type: lambda, kind: token, function or url, identity_sources: [header.NAME], result_ttl}` |
| `request` | `{type: lambda, kind: request, function or url, identity_sources, result_ttl, ...}` |

Native fields are generated only when the installed authorizer model has them; an AWS setting that
cannot be carried over is a problem reported to the user, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.authorizers.registry import KINDS
from gatepost.openapi.bindings import Bindings

Problem = tuple[str, str]  # (what is wrong, how to fix it)

_FUNCTION_URI = "/functions/"
_SOURCE_PREFIXES = (
    ("method.request.header.", "header."), ("$request.header.", "header."),
    ("method.request.querystring.", "query."), ("$request.querystring.", "query."),
    ("stageVariables.", "stage_variable."), ("$stageVariables.", "stage_variable."),
    ("context.", "context."), ("$context.", "context."),
)
REST_DEFAULT_TTL = 300  # AWS's documented REST default
HTTP_DEFAULT_TTL = 0  # our choice: HTTP APIs document no default; no cache means no method-ARN trap


@dataclass
class Mapped:
    config: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)


def classify(scheme: Mapping[str, Any]) -> str:
    """iam | authorizer | api_key | unsupported."""
    authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
    if authtype.startswith("aws"):
        return "iam"
    if isinstance(scheme.get("x-amazon-apigateway-authorizer"), Mapping):
        return "authorizer"
    if scheme.get("type") == "apiKey" and not authtype:
        return "api_key"
    return "unsupported"


def identity_source(aws: str) -> str | None:
    """`method.request.header.X` / `$request.header.X` -> `header.x`; query, stage variables, context alike."""
    aws = aws.strip()
    for prefix, native in _SOURCE_PREFIXES:
        if aws.startswith(prefix):
            name = aws[len(prefix):]
            return native + (name.lower() if native == "header." else name)
    return None


def function_arn(authorizer_uri: str) -> str | None:
    """`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations` -> `{arn}`."""
    if _FUNCTION_URI not in authorizer_uri:
        return None
    return authorizer_uri.split(_FUNCTION_URI, 1)[1].removesuffix("/invocations") or None


def function_name(arn: str) -> str:
    """`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` -> NAME."""
    return arn.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in arn else arn


def _missing_fields(kind: str, cfg: Mapping[str, Any]) -> list[Problem]:
    fields = KINDS[kind].model.model_fields
    return [(f"this build's {kind} authorizer has no `{name}` setting, needed to import this scheme faithfully",
             "update Gatepost, or remove the AWS setting that needs it from the document")
            for name in cfg if name not in fields]


def _finish(kind: str, cfg: dict[str, Any], problems: list[Problem]) -> Mapped:
    problems += _missing_fields(kind, cfg)
    return Mapped(None if problems else cfg, problems)


def map_scheme(scheme: Mapping[str, Any], flavour: str, bindings: Bindings) -> Mapped:
    kind = classify(scheme)
    if kind == "iam":
        return Mapped({"type": "iam"})
    if kind != "authorizer":
        return Mapped(None, [("not an API Gateway authorizer: AWS would not enforce it and the operation "
                              "would be public",
                              "add x-amazon-apigateway-authorizer / -authtype to the scheme, or remove it")])
    auth = scheme["x-amazon-apigateway-authorizer"]
    atype = str(auth.get("type", "")).lower()
    if atype == "cognito_user_pools":
        return _user_pool(scheme, auth, flavour, bindings)
    if atype == "jwt":
        return _jwt(scheme, auth, bindings)
    if atype in ("token", "request"):
        return _lambda(scheme, auth, atype, flavour, bindings)
    return Mapped(None, [(f"unknown authorizer type {auth.get('type')!r}",
                          "use token, request, cognito_user_pools or jwt")])


def _header_source(scheme: Mapping[str, Any], auth: Mapping[str, Any]) -> tuple[str | None, list[Problem]]:
    raw = auth.get("identitySource")
    if raw:
        parts = [p for p in str(raw).split(",") if p.strip()]
        source = identity_source(parts[0]) if len(parts) == 1 else None
        if source is None or not source.startswith(("header.", "query.")):
            return None, [(f"identity source {raw!r} is not one header or query parameter",
                           "use method.request.header.NAME or $request.header.NAME")]
        return source, []
    if scheme.get("in", "header") != "header":
        return None, [("the scheme's token must come from a header (in: header)", "set in: header")]
    return f"header.{str(scheme.get('name', 'Authorization')).lower()}", []


def _user_pool(scheme: Mapping[str, Any], auth: Mapping[str, Any], flavour: str, bindings: Bindings) -> Mapped:
    problems: list[Problem] = []
    if flavour != "rest":
        problems.append(("cognito_user_pools authorizers exist on REST APIs only",
                         "on an HTTP API use a jwt authorizer with the pool's issuer"))
    arns = auth.get("providerARNs") or []
    if len(arns) != 1:
        return Mapped(None, [*problems, (f"{len(arns)} user pools in providerARNs; Gatepost's user_pool authorizer "
                                         "takes one pool", "keep one ARN in providerARNs")])
    arn = str(arns[0])
    parts = arn.split(":")
    if len(parts) < 6 or "/" not in parts[5]:
        return Mapped(None, [*problems, (f"{arn!r} is not a user pool ARN",
                                         "write arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID")])
    region, pool_id = parts[3], arn.rsplit("/", 1)[-1]
    binding = bindings.user_pools.get(arn)
    if binding is None:
        return Mapped(None, [*problems, (f"user pool {arn} is not bound to an issuer",
                                         f"add to the bindings file: user_pools: {{\"{arn}\": {{issuer: URL}}}} "
                                         "(or `cognito` to verify against the real pool)")])
    source, source_problems = _header_source(scheme, auth)
    problems += source_problems
    if auth.get("identityValidationExpression"):
        problems.append(("identityValidationExpression (a regex on `aud`) has no Gatepost equivalent",
                         "list the allowed app clients in the pool's binding (app_clients:) and remove the regex"))
    cfg: dict[str, Any] = {"type": "user_pool"}
    if binding == "cognito":
        cfg["issuer"] = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    else:
        cfg["issuer"] = binding.issuer or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        if binding.jwks_uri:
            cfg["jwks_uri"] = binding.jwks_uri
        if binding.app_clients:
            cfg["app_clients"] = list(binding.app_clients)
    if source and source != "header.authorization":
        cfg["identity_source"] = source
    return _finish("user_pool", cfg, problems)


def _jwt(scheme: Mapping[str, Any], auth: Mapping[str, Any], bindings: Bindings) -> Mapped:
    conf = auth.get("jwtConfiguration") or {}
    issuer = conf.get("issuer")
    if not issuer and scheme.get("openIdConnectUrl"):
        issuer = str(scheme["openIdConnectUrl"]).removesuffix("/.well-known/openid-configuration")
    if not issuer:
        return Mapped(None, [("jwt authorizer without jwtConfiguration.issuer", "set jwtConfiguration.issuer")])
    source, problems = _header_source(scheme, auth)
    audiences = [str(a) for a in conf.get("audience") or []]
    cfg: dict[str, Any] = {"type": "jwt", "issuer": str(issuer), "audiences": audiences}
    binding = bindings.issuers.get(str(issuer))
    if binding is not None:
        cfg["issuer"] = binding.issuer or cfg["issuer"]
        if binding.jwks_uri:
            cfg["jwks_uri"] = binding.jwks_uri
    if source and source != "header.authorization":
        cfg["identity_source"] = source
    return _finish("jwt", cfg, problems)


def _lambda(scheme: Mapping[str, Any], auth: Mapping[str, Any], atype: str, flavour: str,
            bindings: Bindings) -> Mapped:
    problems: list[Problem] = []
    if atype == "token" and flavour != "rest":
        problems.append(("token authorizers exist on REST APIs only", "use type: request on an HTTP API"))
    arn = function_arn(str(auth.get("authorizerUri", "")))
    target = bindings.function(arn) if arn else None
    if arn is None:
        problems.append((f"authorizerUri {auth.get('authorizerUri')!r} does not name a Lambda function",
                         "use arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations"))
    elif target is None:
        problems.append((f"Lambda function {arn} is not bound", f"add to the bindings file: functions: "
                         f"{{\"{arn}\": \"module:function\"}} (or {{url: http://...}})"))
    cfg: dict[str, Any] = {"type": "lambda", "kind": atype}
    if target is not None and arn is not None:
        cfg.update({"function": target.handler} if target.handler else {"url": target.url})
        if "function_name" in KINDS["lambda"].model.model_fields:
            cfg["function_name"] = function_name(arn)
    if atype == "token":
        source, source_problems = _header_source(scheme, auth)
        problems += source_problems
        cfg["identity_sources"] = [source] if source else []
    else:
        sources = [p for p in str(auth.get("identitySource", "")).split(",") if p.strip()]
        converted = [identity_source(s) for s in sources]
        for raw, native in zip(sources, converted, strict=True):
            if native is None:
                problems.append((f"identity source {raw.strip()!r} is not a header, query string, stage variable "
                                 "or context variable", "write it as AWS documents, e.g. method.request.header.X"))
        cfg["identity_sources"] = [s for s in converted if s]
    ttl = auth.get("authorizerResultTtlInSeconds")
    cfg["result_ttl"] = int(ttl) if ttl is not None else (REST_DEFAULT_TTL if flavour == "rest" else HTTP_DEFAULT_TTL)
    if auth.get("identityValidationExpression"):
        cfg["identity_validation_expression"] = str(auth["identityValidationExpression"])
    if flavour == "http":
        version = auth.get("authorizerPayloadFormatVersion")
        if version is not None:
            cfg["payload_format_version"] = str(version)
        if auth.get("enableSimpleResponses"):
            cfg["enable_simple_responses"] = True
    return _finish("lambda", cfg, problems)
