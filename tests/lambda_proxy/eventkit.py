"""Helpers for the Lambda-proxy tests: compile a config, build a request and its RouteMatch, and small
test authorizers that fill the event hook the way each AWS kind does (claims, Lambda context, IAM)."""

from __future__ import annotations

import dataclasses
from typing import Any

from gatepost.authorizers.base import Authorizer
from gatepost.bootstrap import build_gateway
from gatepost.decision import Decision, IamIdentity, Principal
from gatepost.gateway import Gateway, RouteMatch
from gatepost.pipeline import Exchange, route
from gatepost.request import GatewayRequest
from gatepost.stores.memory import MemoryCatalog

RECEIVED_AT = 1_767_225_600.123  # 2026-01-01T00:00:00.123Z


class ClaimsAuthorizer(Authorizer):
    """Fills the hook as a Cognito / JWT authorizer does: claims as strings, scopes."""

    kind = "jwt"

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        p = decision.principal
        claims = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (p.claims or {}).items()}
        scopes = list(p.scopes) if p.scopes is not None else None
        if payload_version == "2.0":
            return {"jwt": {"claims": claims, "scopes": scopes}}
        return {"claims": claims, "scopes": scopes}


class ContextAuthorizer(Authorizer):
    """Fills the hook as a Lambda authorizer does: principalId + stringified context (1.0), `lambda` (2.0)."""

    kind = "lambda"

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        p = decision.principal
        if payload_version == "2.0":
            return {"lambda": dict(p.context or {})}
        return {"principalId": p.principal_id, **{k: str(v) for k, v in (p.context or {}).items()},
                "integrationLatency": 0}


class IamLikeAuthorizer(Authorizer):
    kind = "iam"

    def event_identity(self, decision: Decision) -> dict[str, Any]:
        iam = decision.principal.iam
        assert iam is not None
        return {"accessKey": iam.access_key, "accountId": iam.account_id, "caller": iam.user_id,
                "user": iam.user_id, "userArn": iam.caller_arn}

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        iam = decision.principal.iam
        assert iam is not None
        if payload_version == "2.0":
            return {"iam": {"accessKey": iam.access_key, "accountId": iam.account_id, "callerId": iam.user_id,
                            "cognitoIdentity": None, "principalOrgId": None, "userArn": iam.caller_arn,
                            "userId": iam.user_id}}
        return None


CLAIMS = {"sub": "u-1", "email": "ana@example.com", "email_verified": True, "cognito:groups": "admins"}
CLAIMS_DECISION = Decision.allow("jwt.ok", authorizer="mobile", kind="jwt",
                                 principal=Principal(principal_id="u-1", claims=CLAIMS, scopes=("profile.read",)))
CONTEXT_DECISION = Decision.allow("lambda.allow", authorizer="partners", kind="lambda",
                                  principal=Principal(principal_id="partner-7",
                                                      context={"tenantId": "t-42", "tier": 3, "beta": True}))
IAM_DECISION = Decision.allow("iam.ok", authorizer="internal", kind="iam", principal=Principal(
    principal_id="AIDAEXAMPLE", iam=IamIdentity("arn:aws:iam::123456789012:user/ops", "123456789012",
                                               "AKIDEXAMPLE", "AIDAEXAMPLE")))


def config(flavour: str, *, stage: str | None = None, stage_variables: dict[str, str] | None = None) -> str:
    stage_line = f"    stage: {stage!r}\n" if stage else ""
    sv = f"    stage_variables: {stage_variables}\n" if stage_variables else ""
    return f"""
apis:
  pets:
    flavour: {flavour}
    api_id: a1b2c3d4e5
{stage_line}{sv}    routes:
      - {{route: "GET /pets/{{id}}", public: true}}
      - {{route: "POST /pets", public: true}}
      - {{route: "PUT /pets/{{id}}", public: true}}
      - {{route: "ANY /files/{{proxy+}}", public: true}}
      - {{route: "GET /", public: true}}
    integration: {{mock: {{status: 200}}}}
"""


def gateway(flavour: str, **kw: Any) -> Gateway:
    return build_gateway(text=config(flavour, **kw), catalog=MemoryCatalog())


def request(method: str, path: str, *, query: str = "", headers: tuple[tuple[str, str], ...] = (),
            body: bytes = b"", request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef") -> GatewayRequest:
    """`headers` spelled as a client sends them: lower-cased for lookups, the spelling kept in
    `raw_headers`, as the native server builds a request."""
    sent = (("Host", "api.example.com:8080"), ("User-Agent", "curl/8.5.0"), *headers)
    return GatewayRequest(method=method, path=path, query_string=query, headers=tuple((k.lower(), v) for k, v in sent),
                          raw_headers=tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in sent), body=body,
                          source_ip="203.0.113.9", request_id=request_id, received_at=RECEIVED_AT)


def match_for(gw: Gateway, req: GatewayRequest, authorizer: Authorizer | None = None) -> RouteMatch:
    api, path = gw.find_api(req.host, req.path) or (None, req.path)
    m = route(api, path, req, Exchange(req))
    if authorizer is None:
        return m
    return dataclasses.replace(m, route=dataclasses.replace(m.route, authorizer=authorizer))
