"""The identity pools' HTTP side, under the reserved prefix (never an API route):

    POST /_gatepost/cognito-identity                      Cognito identity JSON protocol (X-Amz-Target:
                                                          AWSCognitoIdentityService.<Operation>)
    GET  /_gatepost/cognito-identity/.well-known/jwks.json   keys of GetOpenIdToken's tokens

boto3's `cognito-identity` client (and the SDKs' Cognito credential providers) work with
`endpoint_url="http://HOST:PORT/_gatepost/cognito-identity"`. The operations are unsigned, as on AWS.
The `gatepost.federation` log has one line per call (operation, status, reason code), never a token or a
credential.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from gatepost.federation.exchange import IdentityPools
from gatepost.idp import amz_json
from gatepost.idp.errors import IdpError
from gatepost.idp.pool import default_base_url
from gatepost.request import GatewayRequest
from gatepost.response import Response, json_response

if TYPE_CHECKING:
    from gatepost.gateway import Gateway

log = logging.getLogger("gatepost.federation")
PREFIX = "/_gatepost/cognito-identity"
NAME = PREFIX.removeprefix("/_gatepost/")
TARGET_PREFIX = "AWSCognitoIdentityService."
OPERATIONS = ("GetId", "GetCredentialsForIdentity", "GetOpenIdToken")
MAX_BODY = 64 * 1024


def _params(req: GatewayRequest) -> dict[str, Any]:
    if len(req.body or b"") > MAX_BODY:
        raise IdpError("InvalidParameterException", "The request is too large.", "federation.too_large")
    return amz_json.params(req, "federation.bad_json")


class IdentityEndpoints:
    def __init__(self, pools: IdentityPools, issuer: str) -> None:
        self.pools = pools
        self.issuer = issuer

    async def handle(self, req: GatewayRequest) -> Response:
        sub = req.path[len(PREFIX):].strip("/")
        if sub == "" and req.method == "POST":
            return await self.json_protocol(req)
        if sub == ".well-known/jwks.json" and req.method in ("GET", "HEAD"):
            return json_response(200, self.pools.signer.jwks(self.pools.clock.now()),
                                 [("cache-control", "max-age=300")])
        if sub == ".well-known/openid-configuration" and req.method in ("GET", "HEAD"):
            return json_response(200, {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
                                       "id_token_signing_alg_values_supported": ["RS256"],
                                       "subject_types_supported": ["public"], "response_types_supported": []})
        return json_response(404, {"message": "Not Found"})

    async def json_protocol(self, req: GatewayRequest) -> Response:
        return await amz_json.call(req, TARGET_PREFIX, self._operation, log, "federation")

    async def _operation(self, req: GatewayRequest, operation: str) -> dict[str, Any]:
        if operation not in OPERATIONS:
            raise IdpError("UnknownOperationException", "", "federation.unknown_operation")
        params = _params(req)
        if operation == "GetId":
            return await self.pools.get_id(params)
        if operation == "GetCredentialsForIdentity":
            return await self.pools.get_credentials(params)
        return await self.pools.get_open_id_token(params, self.issuer)


def mount(internal: dict[str, Callable[[GatewayRequest], Awaitable[Response]]], gateway: Gateway) -> None:
    """Serve the config's identity pools in the app's internal table, when it has any."""
    pools = IdentityPools.of(gateway.services)
    if pools is None:
        return
    server = gateway.config.server
    base = (gateway.config.federation_public_url or default_base_url(server.host, server.port)).rstrip("/")
    endpoints = IdentityEndpoints(pools, base + PREFIX)
    internal[NAME] = endpoints.handle
    internal[NAME + "/"] = endpoints.handle
