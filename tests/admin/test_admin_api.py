"""The admin API's operations over HTTP: secrets only in create and rotate answers, 400/404/409 with a
message, the body size limit, and changes a running gateway follows (a key created here opens a route)."""

from __future__ import annotations

import logging
import time

import pytest
import requests
from admin_kit import BEARER, CONFIG, admin_of, sigv4

from gatepost.stores.memory import MemoryCatalog


def call(method: str, url: str, **kw: object) -> requests.Response:
    return requests.request(method, url, headers=BEARER, timeout=10, **kw)  # type: ignore[arg-type]


def eventually(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the gateway did not follow the change"
        time.sleep(0.1)


def test_api_keys_and_plans(upstream, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with admin_of(CONFIG.format(upstream=upstream.url), MemoryCatalog(), monkeypatch) as (gw, admin):
        created = call("POST", admin + "/admin/api-keys", json={"name": "acme", "plan": "gold", "tags": {"t": "1"}})
        assert created.status_code == 201, created.text
        key = created.json()
        value = key["value"]
        assert len(value) == 40 and key["plan"] == "gold"
        eventually(lambda: requests.get(gw + "/keyed", headers={"x-api-key": value}, timeout=5).status_code == 200)

        listed = call("GET", admin + "/admin/api-keys")
        assert listed.status_code == 200 and value not in listed.text and "hash" not in listed.text
        assert [(k["name"], k["plans"]) for k in listed.json()["items"]] == [("acme", ["gold"])]

        again = call("POST", admin + "/admin/api-keys", json={"name": "acme"})
        assert again.status_code == 409 and "exists already" in again.json()["message"]
        bad = call("POST", admin + "/admin/api-keys", json={"name": "x", "value": "short"})
        assert bad.status_code == 400 and "20 to 128" in bad.json()["message"]
        assert call("POST", admin + "/admin/api-keys", json={"nom": "x"}).status_code == 400
        assert call("POST", admin + "/admin/api-keys", data=b"{not json").status_code == 400
        assert call("PATCH", admin + "/admin/api-keys/nobody", json={"enabled": False}).status_code == 404

        disabled = call("PATCH", admin + "/admin/api-keys/acme", json={"enabled": False})
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False
        eventually(lambda: requests.get(gw + "/keyed", headers={"x-api-key": value}, timeout=5).status_code == 403)
        call("PATCH", admin + "/admin/api-keys/acme", json={"enabled": True})

        rotated = call("POST", admin + "/admin/api-keys/acme/rotate", json={"grace": "1h"})
        assert rotated.status_code == 200 and rotated.json()["value"] != value
        assert rotated.json()["old_value_valid_until"] > time.time() + 3500
        new = rotated.json()["value"]
        eventually(lambda: requests.get(gw + "/keyed", headers={"x-api-key": new}, timeout=5).status_code == 200)

        assert call("GET", admin + "/admin/usage-plans/nope").status_code == 404
        plan = call("GET", admin + "/admin/usage-plans/gold").json()
        assert plan["quota"]["limit"] == 5 and [k["name"] for k in plan["keys"]] == ["acme"]
        assert call("DELETE", admin + "/admin/usage-plans/gold/keys/acme").status_code == 200
        assert call("DELETE", admin + "/admin/usage-plans/gold/keys/acme").status_code == 404
        attached = call("POST", admin + "/admin/usage-plans/gold/keys", json={"key": "acme", "quota_limit": 2})
        assert attached.status_code == 201 and attached.json()["quota_limit"] == 2
        half = call("POST", admin + "/admin/usage-plans/gold/keys", json={"key": "acme", "rate": 1})
        assert half.status_code == 400 and "together" in half.json()["message"]

        report = call("GET", admin + "/admin/api-keys/acme/usage", params={"from": "2026-01-01", "to": "2026-01-03"})
        assert report.status_code == 200
        assert report.json()["items"][0]["startDate"] == "2026-01-01"
        assert call("GET", admin + "/admin/api-keys/acme/usage", params={"from": "01/01/2026"}).status_code == 400

        flushed = call("DELETE", admin + "/admin/apis/shop/stages/prod/authorizer-cache")
        assert flushed.status_code == 200 and flushed.json()["seq"] == 1
        assert call("DELETE", admin + "/admin/apis/shop/stages/beta/authorizer-cache").status_code == 400
        assert call("DELETE", admin + "/admin/apis/none/stages/prod/authorizer-cache").status_code == 404

        big = call("POST", admin + "/admin/api-keys", data=b'{"name": "' + b"x" * 70_000 + b'"}')
        assert big.status_code == 413 and "message" in big.json()
        unknown = requests.post(admin + "/admin/api-keys", json={"name": "y"}, timeout=5)
        assert unknown.status_code == 403
    assert value not in caplog.text and new not in caplog.text


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                     "Resource": "*"}]}


def test_iam_pools_and_users(upstream, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with admin_of(CONFIG.format(upstream=upstream.url), MemoryCatalog(), monkeypatch) as (gw, admin):
        assert call("POST", admin + "/admin/iam/users", json={"name": "app"}).status_code == 201
        assert call("POST", admin + "/admin/iam/users", json={"name": "app"}).status_code == 409
        assert call("PUT", admin + "/admin/iam/users/nobody/policies/p", json={"document": ALLOW_ALL}).status_code \
            == 404
        bad_policy = call("PUT", admin + "/admin/iam/users/app/policies/p", json={"document": {"Statement": 1}})
        assert bad_policy.status_code == 400
        assert call("PUT", admin + "/admin/iam/users/app/policies/p", json={"document": ALLOW_ALL}).status_code == 200
        issued = call("POST", admin + "/admin/iam/users/app/access-keys", json={})
        assert issued.status_code == 201
        secret = issued.json()["SecretAccessKey"]
        listed = call("GET", admin + "/admin/iam/access-keys")
        assert issued.json()["AccessKeyId"] in listed.text and secret not in listed.text
        assert call("GET", admin + "/admin/iam/users").json()["items"][0]["policies"] == ["p"]

        def private() -> int:
            headers = sigv4(issued.json()["AccessKeyId"], secret, gw + "/private")
            return requests.get(gw + "/private", headers=headers, timeout=5).status_code

        eventually(lambda: private() == 200)
        key_url = admin + f"/admin/iam/access-keys/{issued.json()['AccessKeyId']}"
        off = call("PATCH", key_url, json={"status": "Inactive"})
        assert off.status_code == 200
        eventually(lambda: private() == 403)
        assert call("DELETE", admin + "/admin/iam/access-keys/AKIANOSUCHKEY0000000").status_code == 404
        assert call("POST", admin + "/admin/iam/roles/nobody/sessions", json={"session_name": "s1"}).status_code == 404

        pools = call("GET", admin + "/admin/user-pools").json()["items"]
        assert [p["name"] for p in pools] == ["mobile"] and "secret" not in str(pools).lower().replace(
            "generate_secret", "")
        assert call("GET", admin + "/admin/user-pools/none").status_code == 404
        created = call("POST", admin + "/admin/users", json={"username": "bob", "groups": ["admins"]})
        assert created.status_code == 201, created.text
        temporary = created.json()["temporary_password"]
        assert temporary and created.json()["user"]["groups"] == ["admins"]
        assert call("POST", admin + "/admin/users", json={"username": "bob"}).status_code == 409
        users = call("GET", admin + "/admin/users")
        assert [u["username"] for u in users.json()["items"]] == ["bob"] and temporary not in users.text
        assert call("POST", admin + "/admin/users/nobody/groups", json={"group": "admins"}).status_code == 404
        assert call("POST", admin + "/admin/users/bob/groups", json={"group": "nope"}).status_code == 404
        weak = call("PUT", admin + "/admin/users/bob/password", json={"password": "x"})
        assert weak.status_code == 400 and "InvalidPasswordException" in weak.json()["message"]
        strong = call("PUT", admin + "/admin/users/bob/password", json={"password": "Correct-Horse-9-battery"})
        assert strong.status_code == 200 and strong.json()["status"] == "CONFIRMED"
        assert call("GET", admin + "/admin/users", params={"pool": "other"}).status_code == 404
    assert secret not in caplog.text and temporary not in caplog.text and "Correct-Horse" not in caplog.text
