"""iam: SigV4-signed requests decided by IAM identity policies (API Gateway's AWS_IAM).

The signature is verified against the catalog's access keys (an in-memory snapshot, iam/directory.py);
the caller's policies are evaluated for `execute-api:Invoke` on the method ARN. Without a resource
policy, a caller of another account is denied (AWS needs the resource policy to allow cross-account
calls); with one, policy/resource.py combines both sides (`extra["policy_effect"]`, `extra["iam_context"]`).
Compiled with mypyc (gatepost/compiled.py): its config model lives in iam_config.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mypy_extensions import mypyc_attr

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.iam_config import IamAuthorizerConfig
from gatepost.authorizers.registry_types import kind
from gatepost.clock import Clock
from gatepost.decision import Decision, IamIdentity, Outcome, Principal
from gatepost.errors import GatewayError, ResponseType
from gatepost.iam.directory import Caller, IamDirectory
from gatepost.policy import Effect, evaluate
from gatepost.policy.context import INVOKE, denial_message, request_context
from gatepost.sigv4 import SigV4Verifier

if TYPE_CHECKING:
    from gatepost.api_info import ApiInfo
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest

SERVICE = "execute-api"


# a Python class with compiled methods: tracing wraps `authorize` on the instance (tracing/instrument.py)
@mypyc_attr(native_class=False)
class IamAuthorizer(Authorizer):
    uses_catalog = True  # principals and access keys
    kind = "iam"

    def __init__(self, name: str, api: ApiInfo, directory: IamDirectory, clock: Clock) -> None:
        super().__init__(name, api)
        self.directory = directory
        self.clock = clock
        self.verifier = SigV4Verifier(SERVICE, api.region, directory.lookup, clock)

    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        try:
            verified = self.verifier.verify(req)
        except GatewayError as err:
            if err.reason != "sigv4.unknown_key" or not await self.directory.reload_for_unknown_key(
                    self.clock.monotonic()):
                return Decision.reject(Outcome.UNAUTHORIZED, err, authorizer=self.name, kind=self.kind)
            try:  # a key issued a moment ago: the snapshot was reloaded, verify once more
                verified = self.verifier.verify(req)
            except GatewayError as again:
                return Decision.reject(Outcome.UNAUTHORIZED, again, authorizer=self.name, kind=self.kind)
        caller: Caller = verified.credential.identity
        context = {**request_context(req, self.clock), **caller.context}
        effect = evaluate(caller.policies, INVOKE, match.method_arn, context)
        identity = IamIdentity(caller.arn, caller.account_id, verified.credential.access_key, caller.user_id,
                               caller.user_id, caller.cognito)
        principal = Principal(principal_id=caller.arn, iam=identity)
        extra = {"policy_effect": str(effect), "iam_context": caller.context}
        if effect is Effect.ALLOW and caller.account_id == self.api.account_id:
            return Decision.allow("iam.allow", authorizer=self.name, kind=self.kind, principal=principal, extra=extra)
        explicit = effect is Effect.EXPLICIT_DENY
        reason = "iam.explicit_deny" if explicit else ("iam.implicit_deny" if effect is Effect.IMPLICIT_DENY
                                                       else "iam.cross_account")
        message = denial_message(caller.arn, match.method_arn, explicit)
        denied = GatewayError(ResponseType.ACCESS_DENIED, reason, message, body_key="Message")
        return Decision(Outcome.DENY, reason, self.name, self.kind, principal, denied, extra)

    def event_identity(self, decision: Decision) -> dict[str, Any]:
        iam = decision.principal.iam
        if iam is None:
            return {}
        out: dict[str, Any] = {"accessKey": iam.access_key, "accountId": iam.account_id, "caller": iam.caller,
               "user": iam.user_id, "userArn": iam.caller_arn}
        if iam.cognito:
            out.update({"cognitoIdentityPoolId": iam.cognito.get("identity_pool_id"),
                        "cognitoIdentityId": iam.cognito.get("identity_id"),
                        "cognitoAuthenticationType": iam.cognito.get("authentication_type"),
                        "cognitoAuthenticationProvider": iam.cognito.get("authentication_provider")})
        return out

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        iam = decision.principal.iam
        if iam is None:
            return None
        if payload_version == "2.0":
            return {"iam": {"accessKey": iam.access_key, "accountId": iam.account_id, "callerId": iam.caller,
                            "cognitoIdentity": _v2_cognito(iam.cognito), "principalOrgId": None,
                            "userArn": iam.caller_arn, "userId": iam.user_id}}
        return None

    def describe(self) -> dict[str, Any]:
        return {"kind": "iam", "identity_source": "SigV4 (Authorization header or presigned query)",
                "owner": "this gateway's catalog (gatepost iam ...)", "cost": "HMAC-SHA256 x2 + policy evaluation",
                "coupling": "none (local keys)", "propagates": "caller ARN, account, access key id"}


def _v2_cognito(cognito: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """HTTP API payload 2.0's `cognitoIdentity` (amr, identityId, identityPoolId), or null."""
    if not cognito:
        return None
    return {"amr": list(cognito.get("amr") or []), "identityId": cognito.get("identity_id"),
            "identityPoolId": cognito.get("identity_pool_id")}


def build(name: str, config: IamAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    return IamAuthorizer(name, ctx.api, IamDirectory.shared(ctx.services), ctx.clock)


KIND = kind("iam", IamAuthorizerConfig, build, needs="nothing else (callers sign requests with SigV4)",
            example="{type: iam}")
