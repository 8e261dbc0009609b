"""Sign-in through an external OIDC provider, as Cognito's hosted sign-in does with `identity_provider=`.

    GET /_gatepost/idp/{pool_id}/oauth2/authorize?identity_provider=Corp&client_id=..&response_type=code
        &redirect_uri=..&state=..&code_challenge=..&code_challenge_method=S256[&scope=..]
      -> 302 to the provider (authorization code with PKCE, a fresh state and nonce)
    GET /_gatepost/idp/{pool_id}/oauth2/idpresponse?code=..&state=..
      -> the provider's code is exchanged, its ID token verified (issuer, audience, signature, times,
         nonce), the user `{provider}_{sub}` created or updated (attribute and group mapping), and a
         single-use code for the app is sent to its redirect_uri with the app's state
    POST /_gatepost/idp/{pool_id}/oauth2/token  grant_type=authorization_code (oauth.py)

Flows in progress and codes are catalog documents (any worker of any instance can finish a flow), keyed
by a hash of their secret part, single-use and short-lived; the provider's PKCE verifier is sealed with
the master key. Nothing here logs a code, a state, a nonce or a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode

import aiohttp

from gatepost.authorizers.jwks import JwksSettings, JwksSource, check_url, source_for
from gatepost.authorizers.jwt_verify import TokenError, check_header, check_times, parse, verify_signature
from gatepost.idp.config import IdentityProviderConfig
from gatepost.idp.pool import Client, Pool
from gatepost.request import GatewayRequest
from gatepost.response import Response, json_response

if TYPE_CHECKING:
    from gatepost.idp.core import IdpCore
    from gatepost.idp.registry import UserPools
    from gatepost.stores.base import Catalog

log = logging.getLogger("gatepost.idp")
FLOWS = "idp_oauth_flows"
CODES = "idp_auth_codes"
FLOW_SECONDS = 600  # a user has 10 minutes at the provider
CODE_SECONDS = 300  # an app has 5 minutes to redeem its code
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"})


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def pkce_matches(challenge: str, verifier: str | None) -> bool:
    return verifier is not None and hmac.compare_digest(s256(verifier).encode(), challenge.encode())


class HostedError(Exception):
    """A refusal: 400 JSON when the app's redirect cannot be trusted, else a redirect with `error`."""

    def __init__(self, error: str, reason: str, redirect: str | None = None, state: str | None = None) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.redirect = redirect
        self.state = state

    def response(self) -> Response:
        if self.redirect is None:
            return json_response(400, {"error": self.error})
        return redirect_to(self.redirect, {"error": self.error, **({"state": self.state} if self.state else {})})


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 section 2.3.1: the id and secret form-encoded, then Basic."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def redirect_to(url: str, params: Mapping[str, str]) -> Response:
    sep = "&" if "?" in url else "?"
    return Response(302, [("location", f"{url}{sep}{urlencode(params)}"), ("cache-control", "no-store")], b"")


@dataclass(frozen=True, slots=True)
class ProviderEndpoints:
    authorization: str
    token: str
    jwks_uri: str


class HostedSignIn:
    def __init__(self, pools: UserPools) -> None:
        self.pools = pools
        self.core = pools.core
        self._endpoints: dict[tuple[str, str], ProviderEndpoints] = {}

    # ---- step 1: the app sends the user here ----------------------------------------------------------

    async def authorize(self, req: GatewayRequest, pool: Pool) -> Response:
        try:
            return await self._authorize(req, pool)
        except HostedError as err:
            log.info("idp.authorize_refused pool=%s reason=%s", pool.pool_id, err.reason)
            return err.response()

    async def _authorize(self, req: GatewayRequest, pool: Pool) -> Response:
        q = {k: req.query_values(k) for k in {k for k, _ in req.query}}
        if any(len(v) > 1 for v in q.values()):
            raise HostedError("invalid_request", "idp.hosted.repeated_parameter")
        p = {k: v[0] for k, v in q.items()}
        found = self.core.by_client.get(p.get("client_id", ""))
        if found is None or found[0] is not pool:
            raise HostedError("invalid_request", "idp.hosted.unknown_client")
        client = found[1]
        redirect = p.get("redirect_uri", "")
        if redirect not in client.callback_urls:  # never redirect anywhere the client did not register
            raise HostedError("redirect_mismatch", "idp.hosted.redirect_mismatch")
        app_state = p.get("state")
        if "code" not in client.oauth_flows or p.get("response_type") != "code":
            raise HostedError("unauthorized_client", "idp.hosted.flow_not_allowed", redirect, app_state)
        name = p.get("identity_provider", "")
        provider = pool.config.identity_providers.get(name)
        if provider is None or name not in client.providers:
            raise HostedError("invalid_request", "idp.hosted.unknown_provider", redirect, app_state)
        challenge = p.get("code_challenge")
        if challenge is not None and p.get("code_challenge_method", "plain") != "S256":
            raise HostedError("invalid_request", "idp.hosted.pkce_method", redirect, app_state)
        if challenge is None and not client.confidential:
            raise HostedError("invalid_request", "idp.hosted.pkce_required", redirect, app_state)
        try:
            endpoints = await self._discover(pool, name, provider)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            log.warning("idp.hosted.discovery_failed pool=%s provider=%s", pool.pool_id, name)
            raise HostedError("server_error", "idp.hosted.discovery_failed", redirect, app_state) from None
        state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        now = self.core.clock.now()
        flow = {"pool_id": pool.pool_id, "client_id": client.client_id, "redirect_uri": redirect,
                "app_state": app_state, "app_challenge": challenge, "provider": name, "nonce_sha256": digest(nonce),
                "nonce": self.core.box.seal(nonce, f"idp-flow:{digest(state)}"),
                "verifier": self.core.box.seal(verifier, f"idp-flow:{digest(state)}"),
                "scope": p.get("scope", "openid"), "expires_at": now + FLOW_SECONDS}
        await self.pools.call(self.core.catalog.put, FLOWS, digest(state), flow)
        log.info("idp.hosted.redirect pool=%s client=%s provider=%s", pool.pool_id, client.client_id, name)
        return redirect_to(endpoints.authorization, {
            "response_type": "code", "client_id": provider.client_id, "redirect_uri": self._callback(pool),
            "scope": " ".join(provider.scopes), "state": state, "nonce": nonce,
            "code_challenge": s256(verifier), "code_challenge_method": "S256"})

    def _callback(self, pool: Pool) -> str:
        return f"{pool.issuer}/oauth2/idpresponse"

    async def _discover(self, pool: Pool, name: str, cfg: IdentityProviderConfig) -> ProviderEndpoints:
        key = (pool.pool_id, name)
        found = self._endpoints.get(key)
        if found is not None:
            return found
        issuer = check_url(cfg.issuer, cfg.allow_http, "identity provider issuer").rstrip("/")
        async with self.pools.services.http_client().get(f"{issuer}/.well-known/openid-configuration",
                                                         timeout=aiohttp.ClientTimeout(total=5)) as answer:
            answer.raise_for_status()
            doc = await answer.json(content_type=None)
        if not isinstance(doc, dict):
            raise ValueError("discovery document is not an object")
        urls = [doc.get("authorization_endpoint"), doc.get("token_endpoint"), doc.get("jwks_uri")]
        if not all(isinstance(u, str) for u in urls):
            raise ValueError("discovery document lacks an endpoint")
        found = ProviderEndpoints(*(check_url(str(u), cfg.allow_http, "provider endpoint") for u in urls))
        self._endpoints[key] = found
        return found

    def _source(self, cfg: IdentityProviderConfig, jwks_uri: str) -> JwksSource:
        services = self.pools.services
        settings = JwksSettings(3600, 3600, 30, 1.5, 150_000, cfg.allow_http)
        return source_for(services.extras, cfg.issuer, jwks_uri, settings, services.clock, services.http_client)

    async def _verify(self, cfg: IdentityProviderConfig, jwks_uri: str, token: str) -> dict[str, Any]:
        """The provider's ID token: allow-listed algorithm, its key (a single-key set needs no `kid`, OIDC Core
        10.1), signature, times, issuer, and audience (with `azp` when there are several)."""
        source = self._source(cfg, jwks_uri)
        jws = parse(token)
        header = dict(jws.header)
        if "kid" not in header:
            await source.key("")  # loads the set if needed
            if len(source.keys) != 1:
                raise TokenError("unknown_kid", "the token has no key id")
            header["kid"] = next(iter(source.keys))
        alg, kid = check_header(header, ALGORITHMS)
        _, entry = await source.key(kid)
        if entry is None or not entry.fits(alg):
            raise TokenError("unknown_kid", "the token's signing key is not known")
        verify_signature(alg, entry.key, jws)
        check_times(jws.claims, self.core.clock.now(), 0.0)
        claims = jws.claims
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if claims.get("iss") != cfg.issuer or cfg.client_id not in audiences or \
                (len(audiences) > 1 and claims.get("azp") != cfg.client_id):
            raise TokenError("wrong_issuer_or_audience", "the token is not for this pool")
        return dict(claims)

    # ---- step 2: the provider sends the user back -----------------------------------------------------

    async def idpresponse(self, req: GatewayRequest, pool: Pool) -> Response:
        state = req.query_param("state") or ""
        flow = await self.pools.call(self._take, FLOWS, digest(state)) if state else None
        if flow is None or flow.get("pool_id") != pool.pool_id or flow["expires_at"] <= self.core.clock.now():
            log.info("idp.hosted.refused pool=%s reason=idp.hosted.unknown_state", pool.pool_id)
            return json_response(400, {"error": "invalid_request"})  # unknown, replayed or expired state
        try:
            return await self._finish(req, pool, flow, state)
        except HostedError as err:
            log.info("idp.hosted.refused pool=%s reason=%s", pool.pool_id, err.reason)
            return HostedError(err.error, err.reason, flow["redirect_uri"], flow.get("app_state")).response()

    def _take(self, collection: str, key: str) -> dict[str, Any] | None:
        return take_once(self.core.catalog, collection, key)

    async def _finish(self, req: GatewayRequest, pool: Pool, flow: dict[str, Any], state: str) -> Response:
        if req.query_param("error"):
            raise HostedError("access_denied", "idp.hosted.provider_refused")
        name = flow["provider"]
        cfg = pool.config.identity_providers.get(name)
        code = req.query_param("code")
        if cfg is None or not code:
            raise HostedError("invalid_request", "idp.hosted.no_code")
        context = f"idp-flow:{digest(state)}"
        endpoints = await self._discover(pool, name, cfg)
        id_token = await self._exchange(pool, cfg, endpoints, code, self.core.box.unseal(flow["verifier"], context))
        try:
            claims = await self._verify(cfg, endpoints.jwks_uri, id_token)
        except TokenError as err:
            raise HostedError("invalid_request", f"idp.hosted.id_token_{err.code}") from None
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(digest(nonce), flow["nonce_sha256"]):
            raise HostedError("invalid_request", "idp.hosted.nonce_mismatch")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise HostedError("invalid_request", "idp.hosted.no_subject")
        user = await self.pools.call(self._user, pool, name, cfg, subject, claims)
        if not user.get("enabled", True):
            raise HostedError("access_denied", "idp.hosted.user_disabled")
        app_code = secrets.token_urlsafe(32)
        await self.pools.call(self.core.catalog.put, CODES, digest(app_code), {
            "pool_id": pool.pool_id, "client_id": flow["client_id"], "redirect_uri": flow["redirect_uri"],
            "challenge": flow.get("app_challenge"), "username": user["username"], "scope": flow.get("scope"),
            "expires_at": self.core.clock.now() + CODE_SECONDS})
        log.info("idp.hosted.signed_in pool=%s provider=%s", pool.pool_id, name)
        params = {"code": app_code, **({"state": flow["app_state"]} if flow.get("app_state") else {})}
        return redirect_to(flow["redirect_uri"], params)

    async def _exchange(self, pool: Pool, cfg: IdentityProviderConfig, endpoints: ProviderEndpoints, code: str,
                        verifier: str) -> str:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self._callback(pool),
                "code_verifier": verifier, "client_id": cfg.client_id}
        headers = {"authorization": basic_auth(cfg.client_id, cfg.client_secret)} if cfg.client_secret else {}
        try:
            async with self.pools.services.http_client().post(endpoints.token, data=form, headers=headers,
                                                              timeout=aiohttp.ClientTimeout(total=5)) as answer:
                body = await answer.json(content_type=None) if answer.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            body = None
        token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise HostedError("invalid_request", "idp.hosted.code_exchange_failed")
        return token

    def _user(self, pool: Pool, name: str, cfg: IdentityProviderConfig, subject: str,
              claims: Mapping[str, Any]) -> dict[str, Any]:
        attributes = {attr: str(claims[claim]) for attr, claim in cfg.attribute_mapping.items()
                      if isinstance(claims.get(claim), (str, int, float, bool))}
        groups: list[str] | None = None
        if cfg.groups_claim:
            raw = claims.get(cfg.groups_claim)
            theirs = [raw] if isinstance(raw, str) else [g for g in raw if isinstance(g, str)] \
                if isinstance(raw, list) else []
            groups = sorted({cfg.group_mapping[g] for g in theirs if g in cfg.group_mapping})
        return self.core.users.upsert_external(pool, f"{name}_{subject}"[:128], name, subject, attributes, groups,
                                               now=self.core.clock.now())


def take_once(catalog: Catalog, collection: str, key: str) -> dict[str, Any] | None:
    """Read and delete in one step: a flow or a code is used once, whichever worker sees it first."""
    taken: list[dict[str, Any]] = []

    def take(doc: dict[str, Any] | None) -> None:
        if doc is not None:
            taken.append(doc)

    catalog.update(collection, key, take)
    return taken[0] if taken else None


def redeem(core: IdpCore, pool: Pool, client: Client, params: Mapping[str, str]) -> dict[str, Any] | None:
    """The token endpoint's `authorization_code` grant: the code's user, or None (invalid_grant)."""
    code = params.get("code") or ""
    doc = take_once(core.catalog, CODES, digest(code)) if code else None
    if doc is None or doc.get("pool_id") != pool.pool_id or doc.get("client_id") != client.client_id \
            or doc.get("redirect_uri") != params.get("redirect_uri") or doc["expires_at"] <= core.clock.now():
        return None
    challenge = doc.get("challenge")
    if challenge is not None and not pkce_matches(challenge, params.get("code_verifier")):
        return None
    user = core.users.get(pool, doc["username"])
    if user is None or not user.get("enabled", True):
        return None
    return dict(user)
