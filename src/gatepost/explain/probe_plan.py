"""What `gatepost probe` sends to each route: credential-less and bad-credential attempts, planned from
the compiled gateway (path parameters filled with sample values). Every one must be refused with a 4xx.

| attempt | sent to | what it carries |
|---|---|---|
| no_credentials | every protected route | nothing |
| garbage_bearer | every protected route | `Bearer <garbage>`, garbage in every header/query identity source |
| expired_token | jwt / user_pool routes | an expired token of the issuer (a built-in pool's key, else `--jwt-key`) |
| revoked_token | builtin pool routes with check_revocation | a live token of a session the pool revoked |
| wrong_issuer | every protected route | a well-formed RS256 token from an issuer nobody trusts |
| bad_sigv4 | every protected route | a SigV4 `Authorization` header whose signature does not verify |
| missing_api_key | routes requiring a key | no `x-api-key` |
| wrong_api_key | every route requiring a key or an authorizer | an `x-api-key` nobody issued |
| other_method | protected routes with one method | the path with another verb, when a public catch-all gets it |
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from gatepost.explain import jwt_mint, pool_mint
from gatepost.explain.load import Loaded, sample_method, sample_path
from gatepost.explain.pool_keys import PoolKey
from gatepost.explain.sigv4_sign import bad_signature_headers
from gatepost.gateway import Api, Route

TOKEN_KINDS = ("jwt", "user_pool")
_OTHER = {"GET": "DELETE", "HEAD": "DELETE", "OPTIONS": "DELETE", "POST": "GET", "PUT": "GET", "PATCH": "GET",
          "DELETE": "GET"}


@dataclass
class ProbeOptions:
    jwt_key: rsa.RSAPrivateKey | None = None
    jwt_kid: str = "gatepost-probe"
    sigv4_credentials: tuple[str, str] | None = None
    now: float = 0.0
    pool_keys: dict[str, PoolKey | str] = field(default_factory=dict)  # built-in pool -> key, or why none


@dataclass
class Attempt:
    name: str
    method: str
    path: str  # as sent: base path + sample path
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""
    skipped: str = ""  # why the attempt is not sent
    also_counts: tuple[str, ...] = ()  # other route keys whose integration this attempt could reach


@dataclass
class RoutePlan:
    api: Api
    route: Route
    attempts: list[Attempt]


def garbage() -> str:
    return "gatepost-probe." + secrets.token_urlsafe(18)


def _sources(cfg: Any) -> list[str]:
    found = [*(getattr(cfg, "identity_sources", None) or []), getattr(cfg, "identity_source", None)]
    return [str(s) for s in found if s]


def _issuer_and_audience(cfg: Any) -> tuple[str | None, str | None]:
    issuer = getattr(cfg, "issuer", None)
    audiences = list(getattr(cfg, "audiences", None) or getattr(cfg, "app_clients", None) or [])
    return (str(issuer) if issuer else None), (str(audiences[0]) if audiences else None)


def _with_identity(value: str, cfg: Any) -> tuple[dict[str, str], str]:
    headers = {"authorization": f"Bearer {value}"}
    query = []
    for source in _sources(cfg):
        kind, _, name = source.partition(".")
        if kind == "header" and name:
            headers[name.lower()] = value if name.lower() != "authorization" else f"Bearer {value}"
        elif kind in ("query", "querystring") and name:
            query.append(f"{quote(name)}={quote(value)}")
    return headers, "&".join(query)


def plan(loaded: Loaded, base_url: str, options: ProbeOptions) -> list[RoutePlan]:
    host = urlsplit(base_url).netloc
    plans = []
    for api in loaded.gateway.apis:
        for route in sorted(api.routes, key=lambda r: r.index):
            if route.public and not route.api_key_required:
                continue
            plans.append(RoutePlan(api, route, route_attempts(loaded, api, route, host, options)))
    return plans


def route_attempts(loaded: Loaded, api: Api, route: Route, host: str, options: ProbeOptions) -> list[Attempt]:
    method = sample_method(route)
    path = (api.base_path.rstrip("/") + sample_path(route)) or "/"
    base_headers = {"host": next(iter(sorted(api.hosts)))} if api.hosts else {}
    cfg = loaded.authorizer_config(api, route.authorizer.name) if route.authorizer.name else None

    def attempt(name: str, headers: dict[str, str] | None = None, query: str = "", skipped: str = "") -> Attempt:
        return Attempt(name, method, path, {**base_headers, **(headers or {})}, query, skipped)

    key_attempts = [attempt("missing_api_key")] if route.api_key_required else []
    key_attempts.append(attempt("wrong_api_key", {"x-api-key": secrets.token_hex(20)}))
    if route.public:
        return key_attempts
    out = [attempt("no_credentials")]
    out.append(attempt("garbage_bearer", *_with_identity(garbage(), cfg)))
    out.append(_expired(attempt, route, cfg, options))
    if getattr(cfg, "builtin", None) and getattr(cfg, "check_revocation", False):
        out.append(_revoked(attempt, route, cfg, options))
    wrong = jwt_mint.mint(jwt_mint.throwaway_key(), jwt_mint.claims_for(
        jwt_mint.WRONG_ISSUER, _issuer_and_audience(cfg)[1], options.now, expired=False))
    out.append(attempt("wrong_issuer", *_with_identity(wrong, cfg)))
    sig_host = base_headers.get("host", host)
    out.append(attempt("bad_sigv4", bad_signature_headers(method, sig_host, path, api.info.region,
                                                          credentials=options.sigv4_credentials)))
    out += key_attempts
    other = _other_method(api, route, path, base_headers)
    if other is not None:
        out.append(other)
    return out


def _expired(attempt: Any, route: Route, cfg: Any, options: ProbeOptions) -> Attempt:
    if route.authorizer.kind == "lambda":
        return _expired_for_custom_code(attempt, route, cfg, options)
    if route.authorizer.kind not in TOKEN_KINDS:
        return attempt("expired_token", skipped=f"a {route.authorizer.kind} authorizer takes no JWT")
    builtin = getattr(cfg, "builtin", None)
    pool_key = options.pool_keys.get(builtin) if builtin else None
    if isinstance(pool_key, PoolKey):
        token = pool_mint.expired_token(pool_key, route, list(cfg.app_clients), options.now)
        return attempt("expired_token", *_with_identity(token, cfg))
    issuer, audience = _issuer_and_audience(cfg)
    if options.jwt_key is None or issuer is None:
        why = (pool_key or f"the built-in pool {builtin}'s key was not read") if builtin else ""
        return attempt("expired_token", skipped=why or "no key to mint with (pass the issuer's key: --jwt-key)")
    token = jwt_mint.mint(options.jwt_key, jwt_mint.claims_for(issuer, audience, options.now, expired=True),
                          options.jwt_kid)
    return attempt("expired_token", *_with_identity(token, cfg))


def _expired_for_custom_code(attempt: Any, route: Route, cfg: Any, options: ProbeOptions) -> Attempt:
    """Lambda authorizers often check the built-in pool's tokens themselves: send them the first pool's expired
    access token (custom code that forgets `exp` lets it through)."""
    pool_key = next((k for k in options.pool_keys.values() if isinstance(k, PoolKey)), None)
    if pool_key is None:
        return attempt("expired_token", skipped="a lambda authorizer: no built-in pool key to mint with")
    token = pool_mint.expired_token(pool_key, route, [], options.now, access=True)
    return attempt("expired_token", *_with_identity(token, cfg))


def _revoked(attempt: Any, route: Route, cfg: Any, options: ProbeOptions) -> Attempt:
    pool_key = options.pool_keys.get(cfg.builtin)
    if not isinstance(pool_key, PoolKey):
        return attempt("revoked_token", skipped=pool_key or f"the built-in pool {cfg.builtin}'s key was not read")
    token = pool_mint.revoked_token(pool_key, route, list(cfg.app_clients), options.now)
    if token is None:
        return attempt("revoked_token", skipped=f"the pool {cfg.builtin} has no revoked session to imitate "
                                                "(revoke one: RevokeToken / GlobalSignOut)")
    return attempt("revoked_token", *_with_identity(token, cfg))


def _other_method(api: Api, route: Route, path: str, headers: dict[str, str]) -> Attempt | None:
    """The same path with another verb, when a public route of another template would answer it."""
    if route.key.method == "ANY" or route.key.path == "$default":
        return None
    other = _OTHER.get(route.key.method, "GET")
    found = api.table.match(other, sample_path(route))
    if found is None or not found.value.public or found.key.path == route.key.path:
        return None
    return Attempt("other_method", other, path, dict(headers), also_counts=(found.value.route_key,))
