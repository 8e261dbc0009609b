"""The shared shape of the `jwt` and `user_pool` authorizers: read the token, verify it (token_verifier),
let the kind check what it owns (audience, token_use, scopes), then the route's groups.

Subclasses implement `check_token` (raise TokenError: a 401-class refusal), `check_scopes` (return a
Decision to refuse, or None) and `token_error` (how a refusal renders for this kind and API flavour).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mypy_extensions import mypyc_attr

from gatepost.authorizers.base import ApiInfo, Authorizer
from gatepost.authorizers.identity_source import TokenSource
from gatepost.authorizers.jwt_claims import http_claims, rest_claims
from gatepost.authorizers.jwt_verify import TokenError
from gatepost.authorizers.token_verifier import TokenVerifier, Verified
from gatepost.decision import Decision, Outcome, Principal
from gatepost.errors import GatewayError, ResponseType

if TYPE_CHECKING:
    from gatepost.matching import Match, MatchedRoute
    from gatepost.request import GatewayRequest


def bearer_challenge(error: str, description: str, scope: str = "") -> dict[str, str]:
    """RFC 6750 challenge as AWS writes it: `Bearer scope="" error="invalid_token" error_description="..."`."""
    return {"www-authenticate": f'Bearer scope="{scope}" error="{error}" error_description="{description}"'}


_ALLOWED_MAX = 4096


@mypyc_attr(allow_interpreted_subclasses=True)  # subclassed outside the compiled modules
class TokenAuthorizer(Authorizer):
    supports_scopes = True
    supports_groups = True

    def __init__(self, name: str, api: ApiInfo, token_source: TokenSource, verifier: TokenVerifier) -> None:
        super().__init__(name, api)
        self.token_source = token_source
        self.verifier = verifier
        self._allowed: dict[tuple[int, bool], tuple[Verified, Decision]] = {}  # decisions of cache hits

    def credential_names(self) -> tuple[tuple[str, str], ...]:
        return ((self.token_source.location, self.token_source.name),)

    async def start(self) -> None:
        for source in self.verifier.sources():
            await source.start()

    async def close(self) -> None:
        for source in self.verifier.sources():
            await source.close()

    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        route = match.route
        token = self.token_source.read(req)
        if token is None:
            return self.reject(Outcome.UNAUTHORIZED, self.missing_token_error())
        try:
            verified, cached = await self.verifier.verify(token)
            self.check_token(verified, route)
        except TokenError as exc:
            outcome = Outcome.ERROR if exc.code == "no_keys" and self.no_keys_is_error() else Outcome.UNAUTHORIZED
            return self.reject(outcome, self.token_error(exc))
        refusal = self.check_scopes(verified, route) or self.check_groups(verified, route)
        if refusal is not None:
            return refusal
        if not cached:
            return self._allow(verified, route, "allow")
        # a cache hit is the same Verified object request after request: its Decision is built once (per
        # route kind: with or without scopes). Keyed by identity, held with the object so the id stays its.
        key = (id(verified), bool(route.scopes))
        hit = self._allowed.get(key)
        if hit is not None and hit[0] is verified:
            return hit[1]
        decision = self._allow(verified, route, "allow.cached")
        if len(self._allowed) >= _ALLOWED_MAX:
            self._allowed.clear()
        self._allowed[key] = (verified, decision)
        return decision

    def _allow(self, verified: Verified, route: MatchedRoute, outcome: str) -> Decision:
        principal = Principal(principal_id=verified.principal_id, claims=verified.claims,
                              scopes=verified.scopes if route.scopes else None)
        return Decision.allow(f"{self.kind}.{outcome}", authorizer=self.name, kind=self.kind, principal=principal,
                              extra={"iss": verified.issuer.issuer})

    # ---- hooks -------------------------------------------------------------------------------------------

    def check_token(self, verified: Verified, route: MatchedRoute) -> None:
        raise NotImplementedError

    def check_scopes(self, verified: Verified, route: MatchedRoute) -> Decision | None:
        if route.scopes and verified.scope_set.isdisjoint(route.scopes):
            return self.forbid("scope_mismatch", bearer_challenge(
                "insufficient_scope", "the token does not have a required scope", " ".join(route.scopes)))
        return None

    def check_groups(self, verified: Verified, route: MatchedRoute) -> Decision | None:
        if not route.groups:
            return None
        needed = frozenset(route.groups)
        ok = needed <= verified.groups if route.groups_match == "all" else not needed.isdisjoint(verified.groups)
        return None if ok else self.forbid("groups_missing")

    def token_error(self, exc: TokenError) -> GatewayError:
        raise NotImplementedError

    def missing_token_error(self) -> GatewayError:
        return self.token_error(TokenError("missing_token", "the request has no token"))

    def no_keys_is_error(self) -> bool:
        return False

    # ---- helpers -----------------------------------------------------------------------------------------

    def reject(self, outcome: Outcome, error: GatewayError) -> Decision:
        return Decision.reject(outcome, error, authorizer=self.name, kind=self.kind)

    def forbid(self, code: str, headers: dict[str, str] | None = None) -> Decision:
        """403: `{"message":"Forbidden"}` on both flavours (ACCESS_DENIED; HTTP's text is fixed to it)."""
        error = GatewayError(ResponseType.ACCESS_DENIED, f"{self.kind}.{code}", "Forbidden", headers=headers)
        return self.reject(Outcome.DENY, error)

    # ---- events ------------------------------------------------------------------------------------------

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        p = decision.principal
        if p.claims is None:
            return None
        scopes = list(p.scopes) if p.scopes is not None else None
        if payload_version == "2.0":
            return {"jwt": {"claims": http_claims(p.claims), "scopes": scopes}}
        claims = rest_claims(p.claims) if self.api.flavour == "rest" else http_claims(p.claims)
        return {"claims": claims, "scopes": scopes}
