"""Resource policies: explicit deny before any authorizer, AWS's combination tables, source IP, messages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from iam_signing import botocore_send
from iam_world import ACCOUNT, API_ARN, OTHER_ACCOUNT, World, config

from gatepost.authorizers.base import ApiInfo
from gatepost.bootstrap import build_gateway
from gatepost.decision import Decision, Outcome, Principal
from gatepost.errors import ConfigError, GatewayError, ResponseType
from gatepost.pipeline import Exchange, route
from gatepost.policy.resource import expand_document
from gatepost.request import GatewayRequest
from support import Upstream, run_gateway


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(effect: str, principal: Any = "*", resource: str = "execute-api:/*", **more: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": "execute-api:Invoke", "Resource": resource, **more}


DENY_LOCAL = stmt("Deny", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
ALLOW_ALL = stmt("Allow")


def test_explicit_ip_deny_answers_before_the_authorizer(world: World, upstream: Upstream) -> None:
    with run_gateway(config(upstream.url, resource_policy=policy(ALLOW_ALL, DENY_LOCAL)), clock=world.clock,
                     catalog=world.catalog) as gw:
        r = gw.get("/pets/1")  # unsigned: the IAM authorizer would say Missing Authentication Token
        assert r.status_code == 403
        assert r.json() == {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
                                       f"resource: {API_ARN}/GET/pets/1 with an explicit deny"}
        assert r.headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert botocore_send(world.alice, "GET", gw.url + "/pets/1").status_code == 403
        assert gw.get("/open").status_code == 403
    assert upstream.count == 0


def test_public_route_needs_an_explicit_allow(world: World, upstream: Upstream) -> None:
    only_elsewhere = policy(stmt("Allow", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    with run_gateway(config(upstream.url, resource_policy=only_elsewhere), clock=world.clock,
                     catalog=world.catalog) as gw:
        r = gw.get("/open")
        assert r.status_code == 403
        assert r.json() == {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
                                       f"resource: {API_ARN}/GET/open"}
    with run_gateway(config(upstream.url, resource_policy=policy(stmt("Allow", resource="execute-api:/prod/GET/open"))),
                     clock=world.clock, catalog=world.catalog) as gw:
        assert gw.get("/open").status_code == 200


def test_same_account_table_a(world: World, upstream: Upstream) -> None:
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"
    rp = policy(stmt("Allow", {"AWS": bob}, "execute-api:/prod/GET/pets/*"),
                stmt("Deny", {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, "execute-api:/prod/DELETE/*"))
    with run_gateway(config(upstream.url, resource_policy=rp), clock=world.clock, catalog=world.catalog) as gw:
        # bob has no identity policy: the resource policy alone allows (same account)
        assert botocore_send(world.bob, "GET", gw.url + "/pets/1").status_code == 200
        assert botocore_send(world.bob, "GET", gw.url + "/other").status_code == 403
        # alice: identity policy allows; resource policy silent -> allow; explicit deny on DELETE wins
        assert botocore_send(world.alice, "GET", gw.url + "/other").status_code == 200
        r = botocore_send(world.alice, "DELETE", gw.url + "/pets/1")
        assert r.status_code == 403
        assert r.json()["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
                                       f"execute-api:Invoke on resource: {API_ARN}/DELETE/pets/1 with an explicit deny")


def test_cross_account_table_b(world: World, upstream: Upstream) -> None:
    rp = policy(stmt("Allow", {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "execute-api:/prod/GET/*"))
    with run_gateway(config(upstream.url, resource_policy=rp), clock=world.clock, catalog=world.catalog) as gw:
        assert botocore_send(world.mallory, "GET", gw.url + "/pets/1").status_code == 200  # both allow
        assert botocore_send(world.mallory, "POST", gw.url + "/pets/1").status_code == 403  # resource silent
    from gatepost.iam.model import USERS

    world.admin.detach_policy(USERS, "mallory", OTHER_ACCOUNT, "invoke")
    with run_gateway(config(upstream.url, resource_policy=rp), clock=world.clock, catalog=world.catalog) as gw:
        r = botocore_send(world.mallory, "GET", gw.url + "/pets/1")  # identity silent: denied cross-account
        assert r.status_code == 403
        assert r.json()["Message"].startswith(f"User: arn:aws:iam::{OTHER_ACCOUNT}:user/mallory is not authorized")


def test_principal_condition_keys(world: World, upstream: Upstream) -> None:
    rp = policy(ALLOW_ALL, stmt("Deny", Condition={"StringNotEquals": {"aws:PrincipalTag/team": "payments"}},
                                resource="execute-api:/prod/*/admin/*"))
    with run_gateway(config(upstream.url, resource_policy=rp), clock=world.clock, catalog=world.catalog) as gw:
        assert gw.get("/open").status_code == 200  # the principal-keyed deny is not applied to anonymous early
        assert botocore_send(world.alice, "GET", gw.url + "/admin/x").status_code == 200  # tagged team=payments
        r = botocore_send(world.bob, "GET", gw.url + "/admin/x")
        assert r.status_code == 403 and r.json()["Message"].endswith("with an explicit deny")


@pytest.mark.parametrize(("trusted", "expected"), [(True, 403), (False, 200)])
def test_source_ip_from_forwarded_for_only_behind_trusted_proxy(world: World, upstream: Upstream, trusted: bool,
                                                                 expected: int) -> None:
    rp = policy(ALLOW_ALL, stmt("Deny", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    server = "server:\n  trusted_proxies: [\"127.0.0.1/32\"]\n" if trusted else ""
    with run_gateway(config(upstream.url, resource_policy=rp, server=server), clock=world.clock,
                     catalog=world.catalog) as gw:
        r = gw.get("/open", headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == expected


def test_shorthand_expansion_and_bad_policy() -> None:
    info = ApiInfo("api", "abc123", "rest", "prod", "us-east-1", ACCOUNT)
    raw = policy(stmt("Allow", resource="execute-api:/*"), {**stmt("Deny"), "Resource": ["execute-api:/prod/GET/x",
                                                                                        "arn:aws:s3:::b"]})
    out = expand_document(raw, info)
    assert out["Statement"][0]["Resource"] == f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123/*"
    assert out["Statement"][1]["Resource"] == [f"{API_ARN}/GET/x", "arn:aws:s3:::b"]
    bad = config("http://127.0.0.1:9", resource_policy={"Statement": [{"Effect": "Maybe", "Action": "x:y",
                                                                       "Resource": "*"}]})
    with pytest.raises(ConfigError) as info_:
        build_gateway(text=bad)
    assert "resource_policy" in str(info_.value) and "Effect" in str(info_.value)


def _combine(rp: dict[str, Any], decision: Decision) -> Decision:
    gw = build_gateway(text=config("http://127.0.0.1:9", resource_policy=rp))
    api = gw.apis[0]
    req = GatewayRequest(method="GET", path="/pets/1", headers=(("host", "h"),), source_ip="127.0.0.1")
    match = route(api, "/pets/1", req, Exchange(req))
    return asyncio.run(api.policy.combine(req, match, decision))


def _denied(reason: str, effect: str | None, kind: str = "lambda") -> Decision:
    err = GatewayError(ResponseType.ACCESS_DENIED, reason, "User is not authorized to access this resource",
                       body_key="Message")
    extra = {"policy_effect": effect} if effect else {}
    return Decision(Outcome.DENY, reason, "auth", kind, Principal("p"), err, extra)


@pytest.mark.parametrize(("authorizer", "resource", "allowed"), [
    ("Allow", "Allow", True), ("Allow", None, True), ("Allow", "Deny", False),
    ("ImplicitDeny", "Allow", True), ("ImplicitDeny", None, False), ("ImplicitDeny", "Deny", False),
    ("ExplicitDeny", "Allow", False), ("ExplicitDeny", None, False), ("ExplicitDeny", "Deny", False),
])
def test_lambda_table_a(authorizer: str, resource: str | None, allowed: bool) -> None:
    statements = [stmt("Allow", resource="execute-api:/other/*")]  # never matches: the resource side is silent
    if resource is not None:
        statements.append(stmt(resource))
    if authorizer == "Allow":
        decision = Decision.allow("lambda.allow", authorizer="auth", kind="lambda", principal=Principal("p"),
                                  extra={"policy_effect": "Allow"})
    else:
        decision = _denied("lambda.deny", authorizer)
    out = _combine(policy(*statements), decision)
    assert out.allowed is allowed


@pytest.mark.parametrize("kind", ["user_pool", "jwt"])
def test_token_authorizers_need_explicit_allow(kind: str) -> None:
    ok = Decision.allow(f"{kind}.ok", authorizer="auth", kind=kind, principal=Principal("sub"))
    assert _combine(policy(stmt("Allow")), ok).allowed
    denied = _combine(policy(stmt("Allow", resource="execute-api:/other/*")), ok)
    assert not denied.allowed and denied.error is not None
    assert denied.error.message == ("User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
                                    f"{API_ARN}/GET/pets/1")
    unauthorized = Decision.reject(Outcome.UNAUTHORIZED, GatewayError(ResponseType.UNAUTHORIZED, "jwt.missing"),
                                   authorizer="auth", kind=kind)
    assert _combine(policy(stmt("Allow")), unauthorized) is unauthorized
