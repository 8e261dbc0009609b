"""Admin calls (Admin*, ListUsers) are SigV4-signed for service `cognito-idp` and allowed by the caller's
IAM policies (iam/: the same access keys and policy evaluator as `type: iam` routes).

The signature is checked before anything about the pool is revealed; then `cognito-idp:{Action}` on the
pool's ARN (`arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}`) must be allowed, and the caller
must belong to the pool's account. Refusals use Cognito's (AWS JSON protocol) error types, status 400.
"""

from __future__ import annotations

from gatepost.clock import Clock
from gatepost.errors import GatewayError, ResponseType
from gatepost.iam.directory import Caller, IamDirectory
from gatepost.idp.errors import IdpError
from gatepost.idp.pool import Pool
from gatepost.policy import Effect, evaluate
from gatepost.policy.context import request_context
from gatepost.request import GatewayRequest
from gatepost.sigv4 import SigV4Verifier

SERVICE = "cognito-idp"
_TYPES = {
    ResponseType.MISSING_AUTHENTICATION_TOKEN: "MissingAuthenticationTokenException",
    ResponseType.INCOMPLETE_SIGNATURE: "IncompleteSignatureException",
    ResponseType.INVALID_SIGNATURE: "InvalidSignatureException",
    ResponseType.EXPIRED_TOKEN: "ExpiredTokenException",
}


def sigv4_refusal(err: GatewayError) -> IdpError:
    error_type = (err.headers or {}).get("x-amzn-ErrorType") or _TYPES.get(err.type, "AccessDeniedException")
    message = err.message if err.has_message and err.message else "Missing Authentication Token"
    return IdpError(error_type, message, err.reason)


def denial(caller: Caller, action: str, resource: str, explicit: bool) -> IdpError:
    why = "with an explicit deny in an identity-based policy" if explicit else \
        f"because no identity-based policy allows the {action} action"
    return IdpError("AccessDeniedException", f"User: {caller.arn} is not authorized to perform: {action} on "
                                             f"resource: {resource} {why}", "idp.admin_denied")


class AdminAuth:
    def __init__(self, directory: IamDirectory, clock: Clock) -> None:
        self.directory = directory
        self.clock = clock
        self._verifiers: dict[str, SigV4Verifier] = {}

    def verifier(self, region: str) -> SigV4Verifier:
        found = self._verifiers.get(region)
        if found is None:
            found = self._verifiers[region] = SigV4Verifier(SERVICE, region, self.directory.lookup, self.clock)
        return found

    def authenticate(self, req: GatewayRequest, region: str) -> Caller:
        try:
            verified = self.verifier(region).verify(req)
        except GatewayError as err:
            raise sigv4_refusal(err) from None
        caller: Caller = verified.credential.identity
        return caller

    def authorize(self, req: GatewayRequest, caller: Caller, operation: str, pool: Pool) -> None:
        action = f"{SERVICE}:{operation}"
        context = {**request_context(req, self.clock), **caller.context}
        effect = evaluate(caller.policies, action, pool.arn, context)
        if effect is Effect.ALLOW and caller.account_id == pool.account_id:
            return
        raise denial(caller, action, pool.arn, effect is Effect.EXPLICIT_DENY)
