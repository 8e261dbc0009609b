"""What a `user_pool` authorizer with `builtin: NAME` needs from the built-in pool: its issuer, its keys
(in process), its app clients, and, with `check_revocation: true`, the revoked-session check that also
drops revoked tokens from the authorizer's verified-token cache."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatepost.idp.key_source import BuiltinKeySource
from gatepost.idp.registry import UserPools

if TYPE_CHECKING:
    from gatepost.authorizers.token_cache import VerifiedTokenCache
    from gatepost.authorizers.token_verifier import Verified
    from gatepost.services import Services

Revoked = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class BuiltinIssuer:
    issuer: str
    source: BuiltinKeySource
    app_clients: frozenset[str]
    revoked: Revoked | None
    pools: UserPools


def builtin_issuer(name: str, check_revocation: bool, services: Services) -> BuiltinIssuer:
    pools = UserPools.of(services)
    pool = pools.pool(name) if pools is not None else None
    if pools is None or pool is None:
        declared = ", ".join(sorted(pools.core.pools)) if pools is not None else "none"
        raise ValueError(f"builtin: there is no user pool {name!r} under user_pools: (declared: {declared})")
    pool_id = pool.pool_id
    revoked: Revoked | None = None
    if check_revocation:
        revocations = pools.revocations

        def revoked(claims: Mapping[str, Any]) -> bool:
            return revocations.is_revoked(pool_id, claims)

    return BuiltinIssuer(pool.issuer, BuiltinKeySource(pools, pool), frozenset(pool.clients), revoked, pools)


def drop_revoked_from(cache: VerifiedTokenCache[Verified], builtin: BuiltinIssuer) -> None:
    """When revocations change, forget cached tokens of revoked sessions (they are refused anyway)."""
    revoked = builtin.revoked
    if revoked is not None:
        def forget() -> None:
            cache.discard_if(lambda v: revoked(v.claims))

        builtin.pools.revocations.on_change(forget)
