"""Config problems of the built-in pools are reported with their place and a fix, before anything runs."""

from __future__ import annotations

import pytest
from idp_kit import POOLS

from gatepost.bootstrap import build_gateway
from gatepost.errors import ConfigError
from gatepost.idp.pool import derived_client_id, derived_pool_id
from gatepost.stores.memory import MemoryCatalog


def _build(text: str) -> None:
    build_gateway(text=text, catalog=MemoryCatalog())


def _api(authorizer: str) -> str:
    return f"""
apis:
  api:
    authorizers:
      pool: {authorizer}
    routes:
      - {{route: "GET /me", authorizer: pool}}
    integration: {{http: "http://127.0.0.1:9"}}
"""


def test_builtin_must_name_a_declared_pool() -> None:
    with pytest.raises(ConfigError) as exc:
        _build(POOLS + _api("{type: user_pool, builtin: desktop}"))
    assert "no user pool 'desktop'" in str(exc.value) and "declared: mobile" in str(exc.value)


@pytest.mark.parametrize("authorizer, problem", [
    ("{type: user_pool, issuer: 'https://idp.example.com', check_revocation: true}", "check_revocation needs"),
    ("{type: user_pool, builtin: mobile, pool_id: us-east-1_X}", "exactly one of"),
])
def test_authorizer_settings(authorizer: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _build(POOLS + _api(authorizer))
    assert problem in str(exc.value)


@pytest.mark.parametrize("pools, problem", [
    ("user_pools: {a: {clients: {x: {client_id: same}}}, b: {clients: {y: {client_id: same}}}}", "used twice"),
    ("user_pools: {a: {pool_id: us-east-1_P, clients: {x: {}}}, b: {pool_id: us-east-1_P, clients: {y: {}}}}",
     "same pool_id"),
    ("user_pools: {a: {clients: {job: {oauth_flows: [client_credentials], scopes: [r/s]}}}}", "generate_secret"),
    ("user_pools: {a: {clients: {job: {generate_secret: true, oauth_flows: [client_credentials], "
     "scopes: [api/nope]}}, resource_servers: {api: {scopes: [read]}}}}", "not resource-server scopes"),
    ("user_pools: {a: {clients: {x: {auth_flows: [USER_SRP_AUTH]}}}}", "not supported"),
    ("user_pools: {a: {clients: {x: {}}, demo_user: {username: d, groups: [ghosts]}}}", "not declared"),
])
def test_pool_problems(pools: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _build(pools + _api("{type: user_pool, builtin: a}"))
    assert problem in str(exc.value)


def test_derived_ids_are_stable_and_cognito_shaped() -> None:
    pool_id = derived_pool_id("eu-west-1", "mobile")
    assert pool_id == derived_pool_id("eu-west-1", "mobile") and pool_id.startswith("eu-west-1_")
    assert len(pool_id.split("_")[1]) == 9 and pool_id.split("_")[1].isalnum()
    client = derived_client_id(pool_id, "app")
    assert len(client) == 26 and client.isalnum() and client == client.lower()
    assert client != derived_client_id(pool_id, "other")


def test_machine_clients_get_no_user_sign_in_flows_unless_named() -> None:
    from gatepost.idp.config import AUTH_FLOWS, ClientConfig

    machine = ClientConfig(generate_secret=True, oauth_flows=["client_credentials"], scopes=["payments/read"])
    assert machine.auth_flows == []
    both = ClientConfig(generate_secret=True, oauth_flows=["client_credentials"], scopes=["payments/read"],
                        auth_flows=["USER_PASSWORD_AUTH"])
    assert both.auth_flows == ["USER_PASSWORD_AUTH"]
    assert ClientConfig().auth_flows == list(AUTH_FLOWS)
