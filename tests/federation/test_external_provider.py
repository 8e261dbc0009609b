"""A built-in pool federating a real OIDC provider (oidc-provider-mock, an authlib-based provider from PyPI,
on loopback): authorization code with PKCE through the gateway, user created and mapped, the pool's own
tokens, and the refusals (unknown or replayed state, nonce mismatch, code replay, wrong verifier)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from oidc_provider_mock import User, run_server_in_thread

from gatepost.idp.hosted import FLOWS
from gatepost.idp.registry import UserPools
from gatepost.stores.memory import MemoryCatalog
from support import RunningGateway, run_gateway

POOL_ID = "us-east-1_CorpPool1"
WEB = "corpwebclient000000000001"
APP_CALLBACK = "http://app.test/callback"
HERE = Path(__file__).parent


def config(issuer: str) -> str:
    return f"""
user_pools:
  staff:
    pool_id: {POOL_ID}
    hashing: {{time_cost: 1, memory_kib: 8192, parallelism: 1}}
    clients:
      web: {{client_id: {WEB}, oauth_flows: [code], callback_urls: ["{APP_CALLBACK}"],
             supported_identity_providers: [Corp], auth_flows: [REFRESH_TOKEN_AUTH]}}
    groups:
      employees: {{precedence: 1}}
      admins: {{precedence: 0}}
    identity_providers:
      Corp:
        issuer: "{issuer}"
        client_id: gatepost-staff-pool
        client_secret: not-a-real-secret
        scopes: [openid, email, profile]
        attribute_mapping: {{email: email, name: name}}
        groups_claim: groups
        group_mapping: {{staff: employees}}
apis:
  intranet:
    authorizers:
      staff: {{type: user_pool, builtin: staff}}
    routes:
      - {{route: "GET /desk", authorizer: staff, groups: [employees]}}
      - {{route: "GET /board", authorizer: staff, groups: [admins]}}
    integration: {{mock: {{status: 200, body: '{{"ok": true}}'}}}}
"""


@contextlib.contextmanager
def world() -> Iterator[tuple[RunningGateway, str]]:
    users = [User(sub="ursula", claims={"email": "ursula@corp.test", "name": "Ursula", "groups": ["staff"]}),
             User(sub="victor", claims={"email": "victor@corp.test", "groups": ["contractors"]})]
    with run_server_in_thread(require_nonce=True, user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        with run_gateway(config(issuer), catalog=MemoryCatalog(),
                         config_dir=HERE) as gw:
            yield gw, issuer


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def start(gw: RunningGateway, challenge: str, **extra: str) -> requests.Response:
    params = {"identity_provider": "Corp", "client_id": WEB, "response_type": "code", "redirect_uri": APP_CALLBACK,
              "state": "app-state-42", "code_challenge": challenge, "code_challenge_method": "S256",
              "scope": "openid", **extra}
    return gw.get(f"/_gatepost/idp/{POOL_ID}/oauth2/authorize?{urlencode(params)}", allow_redirects=False)


def sign_in_at_provider(location: str, sub: str) -> str:
    """The user's browser at the provider: submit the sign-in form; returns where the provider redirects."""
    answer = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


def back_at_gateway(gw: RunningGateway, location: str) -> requests.Response:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == "http://gatepost.test" or parts.path.endswith("/idpresponse")
    return gw.get(f"{parts.path}?{parts.query}", allow_redirects=False)


def token(gw: RunningGateway, code: str, verifier: str, redirect: str = APP_CALLBACK) -> requests.Response:
    return gw.post(f"/_gatepost/idp/{POOL_ID}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": WEB, "code": code, "redirect_uri": redirect,
        "code_verifier": verifier})


def claims_of(jwt: str) -> dict[str, Any]:
    import json

    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def full_sign_in(gw: RunningGateway, sub: str) -> tuple[str, str]:
    verifier, challenge = pkce()
    first = start(gw, challenge)
    assert first.status_code == 302
    back = back_at_gateway(gw, sign_in_at_provider(first.headers["location"], sub))
    assert back.status_code == 302, back.text
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert back.headers["location"].startswith(APP_CALLBACK + "?")
    assert query["state"] == ["app-state-42"]
    return query["code"][0], verifier


def test_a_provider_user_signs_in_and_gets_the_pools_tokens_with_mapped_attributes_and_groups() -> None:
    with world() as (gw, issuer):
        first = start(gw, pkce()[1])
        to_provider = urlsplit(first.headers["location"])
        sent = parse_qs(to_provider.query)
        assert f"{to_provider.scheme}://{to_provider.netloc}" == issuer
        assert sent["client_id"] == ["gatepost-staff-pool"] and sent["code_challenge_method"] == ["S256"]
        assert sent["redirect_uri"] == [f"{gw.gateway.services.extras['idp.pools'].pool('staff').issuer}"
                                        "/oauth2/idpresponse"]
        assert sent["nonce"][0] and sent["state"][0] != "app-state-42"

        code, verifier = full_sign_in(gw, "ursula")
        answer = token(gw, code, verifier)
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        id_claims = claims_of(tokens["id_token"])
        assert id_claims["cognito:username"] == "Corp_ursula"
        assert id_claims["email"] == "ursula@corp.test" and id_claims["name"] == "Ursula"
        assert id_claims["cognito:groups"] == ["employees"]
        assert tokens["refresh_token"]
        bearer = {"Authorization": tokens["id_token"]}  # REST, no scopes on the route: the ID token (as AWS)
        desk = gw.get("/desk", headers=bearer)
        assert desk.status_code == 200, (desk.headers, desk.text)
        assert gw.get("/board", headers=bearer).status_code == 403

        code, verifier = full_sign_in(gw, "ursula")  # a second sign-in links to the same user
        again = claims_of(token(gw, code, verifier).json()["id_token"])
        assert again["sub"] == id_claims["sub"]

        code, verifier = full_sign_in(gw, "victor")  # no mapped group
        victor = token(gw, code, verifier).json()
        assert "cognito:groups" not in claims_of(victor["id_token"])
        assert gw.get("/desk", headers={"Authorization": victor["id_token"]}).status_code == 403


def test_codes_are_single_use_and_bound_to_client_redirect_and_verifier() -> None:
    with world() as (gw, _):
        code, verifier = full_sign_in(gw, "ursula")
        assert token(gw, code, "x" * 50).json() == {"error": "invalid_grant"}  # wrong verifier spends it
        code, verifier = full_sign_in(gw, "ursula")
        assert token(gw, code, verifier, redirect="http://app.test/other").json() == {"error": "invalid_grant"}
        code, verifier = full_sign_in(gw, "ursula")
        assert token(gw, code, verifier).status_code == 200
        assert token(gw, code, verifier).json() == {"error": "invalid_grant"}  # replayed


def test_unknown_or_replayed_state_is_refused_and_creates_nobody() -> None:
    with world() as (gw, _):
        first = start(gw, pkce()[1])
        location = sign_in_at_provider(first.headers["location"], "ursula")
        parts = urlsplit(location)
        query = parse_qs(parts.query)
        forged = urlencode({"code": query["code"][0], "state": "forged-state"})
        refused = gw.get(f"{parts.path}?{forged}", allow_redirects=False)
        assert refused.status_code == 400 and refused.json() == {"error": "invalid_request"}
        pools = UserPools.of(gw.gateway.services)
        assert pools is not None
        assert pools.core.users.get(pools.pool("staff"), "Corp_ursula") is None  # type: ignore[arg-type]
        assert back_at_gateway(gw, location).status_code == 302  # the real state works once
        replay = back_at_gateway(gw, location)
        assert replay.status_code == 400


def test_a_nonce_mismatch_is_refused_back_to_the_app() -> None:
    with world() as (gw, _):
        first = start(gw, pkce()[1])
        catalog = gw.gateway.services.catalog
        for key, _doc in catalog.list(FLOWS):  # another flow's nonce: as if the ID token were swapped in
            catalog.update(FLOWS, key, lambda d: {**d, "nonce_sha256": hashlib.sha256(b"other").hexdigest()})
        back = back_at_gateway(gw, sign_in_at_provider(first.headers["location"], "ursula"))
        assert back.status_code == 302
        assert back.headers["location"] == f"{APP_CALLBACK}?error=invalid_request&state=app-state-42"


@pytest.mark.parametrize(("extra", "status", "location"), [
    ({"redirect_uri": "http://evil.test/cb"}, 400, None),
    ({"client_id": "unknown-client"}, 400, None),
    ({"identity_provider": "Elsewhere"}, 302, f"{APP_CALLBACK}?error=invalid_request&state=app-state-42"),
    ({"code_challenge_method": "plain"}, 302, f"{APP_CALLBACK}?error=invalid_request&state=app-state-42"),
])
def test_bad_authorize_requests(extra: dict[str, str], status: int, location: str | None) -> None:
    with world() as (gw, _):
        answer = start(gw, pkce()[1], **extra)
        assert answer.status_code == status
        assert answer.headers.get("location") == location
