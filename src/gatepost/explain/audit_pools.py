"""`gatepost audit` rules for `user_pool` authorizers, mostly those naming a built-in pool (`builtin:`),
whose whole shape (clients, flows, scopes, groups, token lifetimes) is in the config and can be checked.

| rule | severity | when |
|---|---|---|
| user_pool.no_revocation_check | low | a builtin authorizer without `check_revocation` while the pool hands out refresh tokens that outlive its ID/access tokens |
| user_pool.user_admin_scope | low | a route whose scopes include `aws.cognito.signin.user.admin` and that names no groups |
| user_pool.machine_scope_to_users | medium | a route (no groups) needing a scope a machine client holds, which a public client adds to every user's token |
| user_pool.unreachable_route | low | a builtin route needing groups the pool does not declare, or scopes no accepted client can obtain |
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gatepost.explain.finding import Finding
from gatepost.explain.load import Loaded
from gatepost.gateway import Api, Route
from gatepost.idp.pool import Client, Pool
from gatepost.idp.registry import UserPools
from gatepost.idp.tokens import USER_ADMIN_SCOPE

USER_FLOW, REFRESH_FLOW = "USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"
DEFAULT_GROUPS_CLAIM = "cognito:groups"


def _routes_of(api: Api, name: str) -> list[Route]:
    auth = api.authorizers.get(name)
    return [r for r in api.routes if r.authorizer is auth and not r.public]


def builtin_pool(loaded: Loaded, cfg: Any) -> Pool | None:
    pools = UserPools.of(loaded.gateway.services)
    name = getattr(cfg, "builtin", None)
    return pools.pool(name) if pools is not None and isinstance(name, str) else None


def accepted_clients(pool: Pool, cfg: Any) -> list[Client]:
    """The pool's clients whose tokens the authorizer accepts (`app_clients`, else all of them)."""
    pinned = [c for c in getattr(cfg, "app_clients", None) or [] if c in pool.clients]
    return [pool.clients[c] for c in pinned] if pinned else list(pool.clients.values())


def _days(seconds: int) -> str:
    return f"{seconds // 86_400} days" if seconds >= 2 * 86_400 else f"{seconds // 3600} h"


def pool_findings(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for name, auth in api.authorizers.items():
        if auth.kind != "user_pool":
            continue
        cfg = loaded.config.apis[api.name].authorizers[name]
        routes = _routes_of(api, name)
        yield from user_admin_scope(api, routes)
        pool = builtin_pool(loaded, cfg)
        if pool is None or not routes:
            continue
        clients = accepted_clients(pool, cfg)
        yield from no_revocation_check(api, name, cfg, pool, clients, routes)
        yield from machine_scope_to_users(api, pool, clients, routes)
        yield from unreachable_routes(api, cfg, pool, clients, routes)


def no_revocation_check(api: Api, name: str, cfg: Any, pool: Pool, clients: list[Client],
                        routes: list[Route]) -> Iterator[Finding]:
    validity = pool.config.token_validity
    refreshing = [c.name for c in clients if {USER_FLOW, REFRESH_FLOW} <= c.auth_flows]
    if cfg.check_revocation or not refreshing or validity.refresh_token <= pool.max_token_seconds:
        return
    yield Finding("low", "user_pool.no_revocation_check", api.name, name,
                   f"the built-in pool {pool.name} issues refresh tokens valid {_days(validity.refresh_token)} "
                   f"(clients {', '.join(refreshing)}), yet after RevokeToken or GlobalSignOut the session's "
                   f"ID/access tokens keep working on {', '.join(r.route_key for r in routes)} until they "
                   f"expire (up to {pool.max_token_seconds} s), as on AWS",
                   "set check_revocation: true on the authorizer (an extension beyond AWS: one in-memory "
                   "lookup per request)")


def user_admin_scope(api: Api, routes: list[Route]) -> Iterator[Finding]:
    for r in routes:
        if r.scopes and USER_ADMIN_SCOPE in r.scopes and not r.groups:
            yield Finding("low", "user_pool.user_admin_scope", api.name, r.route_key,
                           f"{USER_ADMIN_SCOPE} is in every user access token of the pool (it lets users manage "
                           "their own profile, it does not mean administrator): any signed-in user may call it",
                           "require a resource-server scope given only to the intended clients, or groups")


def machine_scope_to_users(api: Api, pool: Pool, clients: list[Client], routes: list[Route]) -> Iterator[Finding]:
    machine = {s: c.name for c in pool.clients.values() if c.oauth_flows for s in c.scopes}
    public = [c for c in clients if not c.confidential and USER_FLOW in c.auth_flows]
    for r in routes:
        if r.groups:
            continue
        for client in public:
            shared = [s for s in r.scopes or () if s in machine and s in client.user_scopes]
            if shared:
                yield Finding("medium", "user_pool.machine_scope_to_users", api.name, r.route_key,
                               f"scope {shared[0]} belongs to the machine client {machine[shared[0]]} "
                               f"(client_credentials), but the public client {client.name} adds it to every "
                               "user's access token: any user who signs in through it (its client id ships in "
                               "apps) may call this route",
                               f"remove {shared[0]} from {client.name}'s user_scopes, or require groups on the route")
                break


def _obtainable_scopes(clients: list[Client]) -> set[str]:
    out: set[str] = set()
    for c in clients:
        if USER_FLOW in c.auth_flows:
            out.update((USER_ADMIN_SCOPE, *c.user_scopes))
        if c.oauth_flows:
            out.update(c.scopes)
    return out


def unreachable_routes(api: Api, cfg: Any, pool: Pool, clients: list[Client], routes: list[Route]) -> Iterator[Finding]:
    scopes = _obtainable_scopes(clients)
    check_groups = getattr(cfg, "groups_claim", DEFAULT_GROUPS_CLAIM) == DEFAULT_GROUPS_CLAIM
    for r in routes:
        why = ""
        if r.scopes and scopes.isdisjoint(r.scopes):
            why = f"no client it accepts can obtain any of the scopes {' '.join(r.scopes)}"
        unknown = [g for g in r.groups or () if g not in pool.groups]
        if check_groups and unknown and (r.groups_match == "all" or len(unknown) == len(r.groups or ())):
            why = why or f"the pool declares no group {', '.join(unknown)} (users cannot be added to it)"
        if why:
            yield Finding("low", "user_pool.unreachable_route", api.name, r.route_key,
                           f"no token of the built-in pool {pool.name} can pass: {why}",
                           "fix the name, declare the group under user_pools, or give the scope to a client "
                           "(user_scopes, or scopes for client_credentials)")
