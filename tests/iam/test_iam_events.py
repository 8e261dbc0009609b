"""The caller's identity in AWS's events: REST requestContext.identity, HTTP requestContext.authorizer.iam."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from iam_world import ACCOUNT, World, config

from gatepost.bootstrap import build_gateway
from gatepost.iam.directory import IamDirectory
from gatepost.integrations.events import http_v2_event, rest_v1_event
from gatepost.pipeline import Exchange, route
from gatepost.request import GatewayRequest
from gatepost.sigv4.signer import sign_headers


def _event(world: World, flavour: str, key: Any) -> dict[str, Any]:
    gw = build_gateway(text=config("http://127.0.0.1:9", flavour=flavour), catalog=world.catalog, clock=world.clock)
    api = gw.apis[0]
    asyncio.run(IamDirectory.shared(gw.services).reload())
    headers = sign_headers("GET", "http://gw.local/pets/1", access_key=key.access_key_id,
                           secret_key=key.secret_access_key, region="us-east-1", session_token=key.session_token,
                           now=world.clock.now())
    req = GatewayRequest(method="GET", path="/pets/1", headers=tuple(headers.items()), source_ip="10.0.0.1")
    match = route(api, "/pets/1", req, Exchange(req))
    decision = asyncio.run(match.route.authorizer.authorize(req, match))
    assert decision.allowed, decision.error and decision.error.message
    return rest_v1_event(req, match, decision) if flavour == "rest" else http_v2_event(req, match, decision)


def test_rest_identity_fields_for_a_user(world: World) -> None:
    identity = _event(world, "rest", world.alice)["requestContext"]["identity"]
    user_id = world.catalog.get("iam_users", f"{ACCOUNT}/alice")["id"]  # type: ignore[index]
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert identity["accountId"] == ACCOUNT
    assert identity["accessKey"] == world.alice.access_key_id
    assert identity["caller"] == identity["user"] == user_id
    assert identity["sourceIp"] == "10.0.0.1"


def test_rest_identity_fields_for_a_role_session(world: World) -> None:
    identity = _event(world, "rest", world.role_session)["requestContext"]["identity"]
    role_id = world.catalog.get("iam_roles", f"{ACCOUNT}/Deployer")["id"]  # type: ignore[index]
    assert identity["userArn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/ci-run-7"
    assert identity["caller"] == f"{role_id}:ci-run-7"


@pytest.mark.parametrize("who", ["alice", "role_session"])
def test_http_authorizer_iam(world: World, who: str) -> None:
    key = getattr(world, who)
    iam = _event(world, "http", key)["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == key.access_key_id
    assert iam["accountId"] == ACCOUNT
    assert iam["userArn"] == key.arn
    assert iam["callerId"] == iam["userId"]
    assert set(iam) == {"accessKey", "accountId", "callerId", "cognitoIdentity", "principalOrgId", "userArn", "userId"}
