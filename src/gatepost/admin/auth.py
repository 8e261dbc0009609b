"""Who may use the admin port: a bearer token from the environment (constant-time compare; browsers send it
as the password of HTTP Basic authentication), or a SigV4 signature for service `gatepost` by one of the
gateway's own IAM principals whose policies allow the action (`gatepost:GetMetrics`, `gatepost:GetRoutes`,
...) on `arn:aws:gatepost:{region}:{account}:admin`.
Refusals are AWS-shaped JSON with API Gateway's statuses: 403 `Missing Authentication Token` or the
signature's own message, 401 for a wrong bearer token, 403 when the policies do not allow the action.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from dataclasses import dataclass

from gatepost.admin.config import AdminConfig
from gatepost.clock import Clock
from gatepost.errors import REST_DEFAULTS, GatewayError
from gatepost.iam.directory import Caller, IamDirectory
from gatepost.policy import Effect, evaluate
from gatepost.request import GatewayRequest
from gatepost.sigv4 import SigV4Verifier

SERVICE = "gatepost"


@dataclass(frozen=True, slots=True)
class Refusal(Exception):
    status: int
    message: str
    reason: str


def basic_password(value: str) -> str:
    """The password of `Authorization: Basic ...` (browsers: the route map page), "" when malformed."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


class AdminAuth:
    def __init__(self, config: AdminConfig, directory: IamDirectory, clock: Clock) -> None:
        self.config = config
        self.directory = directory
        self.clock = clock
        self.verifier = SigV4Verifier(SERVICE, config.region, directory.lookup, clock)
        self.resource = f"arn:aws:{SERVICE}:{config.region}:{config.account_id}:admin"

    def _token(self) -> str | None:
        name = self.config.token_env
        value = os.environ.get(name) if name else None
        return value if value else None

    def check(self, req: GatewayRequest, action: str) -> str:
        """Who is calling (for the log), or Refusal."""
        authorization = req.header("authorization") or ""
        scheme = authorization[:7].lower()
        if scheme == "bearer " or scheme[:6] == "basic ":
            token = self._token()
            given = authorization[7:].strip() if scheme == "bearer " else basic_password(authorization[6:])
            if token is None or not hmac.compare_digest(token.encode(), given.encode()):
                raise Refusal(401, "Unauthorized", "admin.bad_token")
            return "bearer-token"
        try:
            verified = self.verifier.verify(req)
        except GatewayError as err:
            default = REST_DEFAULTS.get(err.type)
            message = err.message if err.has_message and err.message else \
                (default.message if default is not None and default.message else "Forbidden")
            raise Refusal(default.status if default is not None else 403, message, err.reason) from None
        caller: Caller = verified.credential.identity
        wanted = f"{SERVICE}:{action}"
        if evaluate(caller.policies, wanted, self.resource, caller.context) is not Effect.ALLOW \
                or caller.account_id != self.config.account_id:
            raise Refusal(403, f"User: {caller.arn} is not authorized to perform: {wanted} on resource: "
                               f"{self.resource}", "admin.denied")
        return caller.arn
