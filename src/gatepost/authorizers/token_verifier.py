"""Token -> verified claims, for one authorizer: size cap, cache, parse, header rules, trusted issuer,
key lookup (jwks.py), signature, time claims. Audience, token_use, scopes and groups are the authorizer's.

The order is chosen so that nothing a client controls costs a fetch or a signature check before the
cheap refusals: size, shape, algorithm, forbidden headers, then the issuer must be one the config trusts
(a token naming any other issuer is refused without contacting anyone), and only then its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatepost.authorizers.jwks import JwksSource, KeyState
from gatepost.authorizers.jwt_claims import token_groups, token_scopes
from gatepost.authorizers.jwt_verify import TokenError, check_header, check_times, parse, verify_signature
from gatepost.authorizers.token_cache import VerifiedTokenCache, token_digest
from gatepost.clock import Clock


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    audiences: frozenset[str]
    source: JwksSource


@dataclass(frozen=True)
class Verified:
    """A token whose signature and times checked out; derived values computed once, then cached."""

    claims: dict[str, Any]
    issuer: TrustedIssuer
    kid: str
    exp: float
    scopes: tuple[str, ...]
    scope_set: frozenset[str]
    groups: frozenset[str]
    principal_id: str | None

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer);
    # object.__setattr__ is how a frozen dataclass sets its fields, and compiles to a plain store
    def __init__(self, claims: dict[str, Any], issuer: TrustedIssuer, kid: str, exp: float,
                 scopes: tuple[str, ...], scope_set: frozenset[str], groups: frozenset[str],
                 principal_id: str | None) -> None:
        object.__setattr__(self, "claims", claims)
        object.__setattr__(self, "issuer", issuer)
        object.__setattr__(self, "kid", kid)
        object.__setattr__(self, "exp", exp)
        object.__setattr__(self, "scopes", scopes)
        object.__setattr__(self, "scope_set", scope_set)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "principal_id", principal_id)


class TokenVerifier:
    def __init__(self, issuers: Mapping[str, TrustedIssuer], algorithms: frozenset[str], clock: Clock, *,
                 leeway: float = 0.0, max_token_bytes: int = 8192, groups_claim: str = "cognito:groups",
                 cache_size: int = 10_000) -> None:
        self.issuers = dict(issuers)
        self.algorithms = algorithms
        self.clock = clock
        self.leeway = leeway
        self.max_token_bytes = max_token_bytes
        self.groups_claim = groups_claim
        self.cache: VerifiedTokenCache[Verified] = VerifiedTokenCache(cache_size)

    def sources(self) -> list[JwksSource]:
        return [t.source for t in self.issuers.values()]

    async def verify(self, token: str) -> tuple[Verified, bool]:
        """(verified token, served from cache). Raises TokenError."""
        if len(token) > self.max_token_bytes:
            raise TokenError("too_large", "the token is too large")
        now = self.clock.now()
        digest = token_digest(token)
        hit = self.cache.get(digest, now)
        if hit is not None:
            if hit.issuer.source.usable(hit.kid) is not None:
                return hit, True
            self.cache.discard(digest)  # its key was rotated out or is past last-known-good: verify afresh
        verified = await self._verify(token, now)
        self.cache.put(digest, verified, verified.exp + self.leeway)
        return verified, False

    async def _verify(self, token: str, now: float) -> Verified:
        jws = parse(token)
        alg, kid = check_header(jws.header, self.algorithms)
        iss = jws.claims.get("iss")
        trusted = self.issuers.get(iss) if isinstance(iss, str) else None
        if trusted is None:
            raise TokenError("issuer_not_allowed", "the token's issuer is not trusted")
        state, entry = await trusted.source.key(kid)
        if state is KeyState.NO_KEYS:
            raise TokenError("no_keys", "the issuer's signing keys are not available")
        if entry is None:
            raise TokenError("unknown_kid", "the token's signing key is not known")
        if not entry.fits(alg):
            raise TokenError("alg_not_allowed", "the token's signing algorithm does not match its key")
        verify_signature(alg, entry.key, jws)
        exp = check_times(jws.claims, now, self.leeway)
        claims = jws.claims
        scopes = token_scopes(claims)
        sub = claims.get("sub")
        return Verified(claims, trusted, kid, exp, scopes, frozenset(scopes),
                        token_groups(claims, self.groups_claim), sub if isinstance(sub, str) else None)
