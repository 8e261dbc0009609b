"""A pool as the running gateway sees it: compiled once from its config into frozen values."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from gatepost.idp.config import ClientConfig, GroupConfig, UserPoolConfig

IDP_PREFIX = "/_gatepost/idp"
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _derive(text: str, alphabet: str, n: int) -> str:
    number = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    out = []
    for _ in range(n):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def derived_pool_id(region: str, name: str) -> str:
    """Stable across catalogs and instances: `{region}_` + 9 characters derived from the pool's name."""
    return f"{region}_{_derive('pool/' + name, _ALNUM, 9)}"


def derived_client_id(pool_id: str, name: str) -> str:
    """26 lower-case letters and digits, like Cognito's client ids, derived from the pool id and client name."""
    return _derive(f"client/{pool_id}/{name}", _ALNUM[:36], 26)


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    client_id: str
    confidential: bool
    auth_flows: frozenset[str]
    oauth_flows: frozenset[str]
    scopes: tuple[str, ...]  # resource-server scopes for client_credentials
    user_scopes: tuple[str, ...]  # added to user access tokens
    callback_urls: tuple[str, ...] = ()  # the code flow's allowed redirect_uri values
    providers: tuple[str, ...] = ()  # external identity providers the client may sign in through


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    precedence: int | None
    role_arn: str | None
    description: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Pool:
    name: str
    pool_id: str
    region: str
    account_id: str
    base_url: str
    clients: Mapping[str, Client]  # by client id
    groups: Mapping[str, Group]
    custom_attributes: frozenset[str]
    config: UserPoolConfig

    @property
    def issuer(self) -> str:
        return f"{self.base_url}{IDP_PREFIX}/{self.pool_id}"

    @property
    def arn(self) -> str:
        return f"arn:aws:cognito-idp:{self.region}:{self.account_id}:userpool/{self.pool_id}"

    @property
    def max_token_seconds(self) -> int:
        validity = self.config.token_validity
        return max(validity.id_token, validity.access_token)

    def client_named(self, name: str) -> Client | None:
        return next((c for c in self.clients.values() if c.name == name), None)

    def find_client(self, key: str) -> Client | None:
        """The client named `key` under clients:, or the one whose client id it is."""
        return self.client_named(key) or self.clients.get(key)


def _client(pool_id: str, name: str, cfg: ClientConfig) -> Client:
    return Client(name, cfg.client_id or derived_client_id(pool_id, name), cfg.generate_secret,
                  frozenset(cfg.auth_flows), frozenset(cfg.oauth_flows), tuple(cfg.scopes), tuple(cfg.user_scopes),
                  tuple(cfg.callback_urls), tuple(cfg.supported_identity_providers))


def _group(name: str, cfg: GroupConfig) -> Group:
    return Group(name, cfg.precedence, cfg.role_arn, cfg.description)


def default_base_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def compile_pool(name: str, cfg: UserPoolConfig, server_host: str, server_port: int) -> Pool:
    pool_id = cfg.pool_id or derived_pool_id(cfg.region, name)
    clients = {}
    for cname, ccfg in cfg.clients.items():
        client = _client(pool_id, cname, ccfg)
        clients[client.client_id] = client
    base = (cfg.public_url or default_base_url(server_host, server_port)).rstrip("/")
    return Pool(name, pool_id, cfg.region, cfg.account_id, base, clients,
                {g: _group(g, gc) for g, gc in cfg.groups.items()}, frozenset(cfg.custom_attributes), cfg)


def compile_pools(pools: Mapping[str, UserPoolConfig], server_host: str, server_port: int) -> dict[str, Pool]:
    """name -> Pool. Raises ValueError when two pools share an id or two clients share a client id."""
    out = {name: compile_pool(name, cfg, server_host, server_port) for name, cfg in pools.items()}
    seen_pools: dict[str, str] = {}
    seen_clients: dict[str, str] = {}
    for pool in out.values():
        if pool.pool_id in seen_pools:
            raise ValueError(f"user pools {seen_pools[pool.pool_id]!r} and {pool.name!r} have the same pool_id")
        seen_pools[pool.pool_id] = pool.name
        for client_id in pool.clients:
            if client_id in seen_clients:
                raise ValueError(f"client id {client_id!r} is used twice (pools {seen_clients[client_id]!r} "
                                 f"and {pool.name!r})")
            seen_clients[client_id] = pool.name
    return out
