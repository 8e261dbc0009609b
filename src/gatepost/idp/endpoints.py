"""The built-in pools' HTTP side, under the reserved prefix (never an API route):

    POST /_gatepost/idp[/{pool_id}]                            Cognito JSON protocol (X-Amz-Target:
                                                               AWSCognitoIdentityProviderService.<Operation>)
    GET  /_gatepost/idp/{pool_id}/.well-known/openid-configuration
    GET  /_gatepost/idp/{pool_id}/.well-known/jwks.json
    POST /_gatepost/idp/{pool_id}/oauth2/token                 OAuth 2.0 token endpoint
    GET  /_gatepost/idp/{pool_id}/oauth2/authorize             sign-in through an external provider (hosted.py)
    GET  /_gatepost/idp/{pool_id}/oauth2/idpresponse           the provider's redirect back

boto3's `cognito-idp` client works with `endpoint_url="http://HOST:PORT/_gatepost/idp"`. Nothing here is
written to the access log; the `gatepost.idp` log has one line per call with its operation, status and
reason code, never a password, token or secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from gatepost.idp import amz_json
from gatepost.idp.admin_ops import ADMIN_OPERATIONS
from gatepost.idp.errors import IdpError, internal_error, resource_not_found
from gatepost.idp.hosted import HostedSignIn
from gatepost.idp.oauth import OAuthError, TokenEndpoint
from gatepost.idp.pool import IDP_PREFIX, Pool
from gatepost.idp.registry import UserPools
from gatepost.idp.user_ops import REVOKING, USER_OPERATIONS
from gatepost.request import GatewayRequest
from gatepost.response import Response, json_response

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from gatepost.gateway import Gateway

log = logging.getLogger("gatepost.idp")
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
NAME = IDP_PREFIX.removeprefix("/_gatepost/")  # "idp": the key in the app's internal table


class IdpEndpoints:
    def __init__(self, pools: UserPools) -> None:
        self.pools = pools
        self.core = pools.core
        self.tokens = TokenEndpoint(pools.core)
        self.hosted = HostedSignIn(pools)
        self.default_region = next(iter(pools.core.pools.values())).region

    async def handle(self, req: GatewayRequest) -> Response:
        try:
            await self.pools.start()
        except Exception:  # the catalog or the master key failed: fail closed, retry on the next request
            log.exception("idp.start_failed")
            return amz_json.error_response(internal_error(), req)
        rest = req.path[len(IDP_PREFIX):].strip("/")
        pool_id, _, sub = rest.partition("/")
        if sub == "":
            if req.method == "POST" and (pool_id == "" or pool_id in self.core.by_id):
                return await self.json_protocol(req)
            return json_response(404, {"message": "Not Found"})
        pool = self.core.by_id.get(pool_id)
        if pool is None:
            return json_response(404, {"message": "Not Found"})
        if sub == ".well-known/openid-configuration" and req.method in ("GET", "HEAD"):
            return json_response(200, discovery(pool), [("cache-control", "max-age=300")])
        if sub == ".well-known/jwks.json" and req.method in ("GET", "HEAD"):
            ring = self.core.rings.get(pool.pool_id)
            keys = ring.jwks(self.core.clock.now()) if ring is not None else {"keys": []}
            return json_response(200, keys, [("cache-control", "max-age=300")])
        if sub == "oauth2/token" and req.method == "POST":
            return await self.token(req, pool)
        if sub == "oauth2/authorize" and req.method == "GET":
            return await self.hosted.authorize(req, pool)
        if sub == "oauth2/idpresponse" and req.method == "GET":
            return await self.hosted.idpresponse(req, pool)
        return json_response(404, {"message": "Not Found"})

    # ---- the Cognito JSON protocol ------------------------------------------------------------------------

    async def json_protocol(self, req: GatewayRequest) -> Response:
        return await amz_json.call(req, TARGET_PREFIX, self._operation, log, "idp")

    async def _operation(self, req: GatewayRequest, operation: str) -> dict[str, Any]:
        if operation in ADMIN_OPERATIONS:
            params = _params(req)
            return await self._admin(req, operation, params)
        if operation in USER_OPERATIONS:
            params = _params(req)
            result = await self.pools.call(USER_OPERATIONS[operation], self.core, params, req.source_ip)
            if operation in REVOKING:
                await self.pools.reload_revoked()
            return result
        raise IdpError("UnknownOperationException", "", "idp.unknown_operation")

    async def _admin(self, req: GatewayRequest, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.pools.admin is not None
        pool_id = params.get("UserPoolId")
        pool = self.core.by_id.get(pool_id) if isinstance(pool_id, str) else None
        caller = self.pools.admin.authenticate(req, pool.region if pool is not None else self.default_region)
        if pool is None:
            raise resource_not_found(f"User pool {str(params.get('UserPoolId'))[:64]} does not exist.")
        self.pools.admin.authorize(req, caller, operation, pool)
        log.info("idp.admin op=%s pool=%s caller=%s", operation, pool.pool_id, caller.arn)
        return await self.pools.call(ADMIN_OPERATIONS[operation], self.core, pool, params)

    # ---- OAuth 2.0 ----------------------------------------------------------------------------------------

    async def token(self, req: GatewayRequest, pool: Pool) -> Response:
        headers = [("cache-control", "no-store"), ("pragma", "no-cache")]
        try:
            result = await self.pools.call(self.tokens.grant, pool.pool_id, req.header("authorization"), req.body)
        except OAuthError as err:
            log.info("idp.token_refused pool=%s status=%d reason=%s", pool.pool_id, err.status, err.reason)
            if err.status == 401:
                headers.append(("www-authenticate", 'Basic realm="gatepost"'))
            return json_response(err.status, {"error": err.error}, headers)
        except IdpError as err:
            return json_response(err.status, {"error": "server_error"}, headers)
        return json_response(200, result, headers)


def _params(req: GatewayRequest) -> dict[str, Any]:
    return amz_json.params(req, "idp.bad_json")


def discovery(pool: Pool) -> dict[str, Any]:
    scopes = {"openid", "aws.cognito.signin.user.admin"}
    for client in pool.clients.values():
        scopes.update(client.scopes, client.user_scopes)
    return {"issuer": pool.issuer, "jwks_uri": f"{pool.issuer}/.well-known/jwks.json",
            "token_endpoint": f"{pool.issuer}/oauth2/token",
            "authorization_endpoint": f"{pool.issuer}/oauth2/authorize",
            "response_types_supported": ["code", "token"], "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "scopes_supported": sorted(scopes)}


def mount(internal: dict[str, Callable[[GatewayRequest], Awaitable[Response]]], gateway: Gateway) -> None:
    """Serve the config's pools in the app's internal table (`/_gatepost/idp` and everything under it)."""
    pools = UserPools.of(gateway.services)
    if pools is None:
        return
    endpoints = IdpEndpoints(pools)
    internal[NAME] = endpoints.handle
    internal[NAME + "/"] = endpoints.handle
