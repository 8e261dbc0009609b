"""Two gateway instances x two workers (`gatepost serve --workers 2`, four processes) on one real Redis and
one real Postgres: exact quotas across all four, API key and IAM policy changes reaching every worker of
both, and an instance killed with SIGKILL losing nothing the docs promise (docs/operations.md)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
import requests
from iam_signing import botocore_send
from idp_kit import APP, PASSWORD, POOL_ID, POOLS, allow_idp
from keyed import keyed_config, new_key

from gatepost.cli import main as cli_main
from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import USERS
from gatepost.stores.postgres import PostgresCatalog
from gatepost.usage.keys import KeyStore
from gatepost.usage.limiter import day_of
from gatepost.usage.recorder import usage_of_key
from support import run_redis, serve_process, wait_http

LIMIT = 40
MASTER_KEY = b"m" * 32
IAM_API = """
  iam:
    base_path: /iam
    api_id: abc123
    account_id: "123456789012"
    authorizers: {{sig: {{type: iam}}}}
    routes: [{{route: "ANY /{{proxy+}}", authorizer: sig}}]
    integration: {{http: "{upstream}"}}
  pool:
    base_path: /pool
    authorizers: {{strict: {{type: user_pool, builtin: mobile, check_revocation: true}}}}
    routes: [{{route: "GET /x", authorizer: strict}}, {{route: "GET /admins", authorizer: strict, groups: [admins]}}]
    integration: {{http: "{upstream}"}}
  lam:
    base_path: /lam
    api_id: lam123
    authorizers: {{flip: {{type: lambda, kind: token, function: "flip_auth:handler", result_ttl: 300}}}}
    routes: [{{route: "GET /x", authorizer: flip}}]
    integration: {{http: "{upstream}"}}
"""
# a TOKEN authorizer whose verdict is a file: cached results outlive a change of the file until a flush
FLIP_AUTH = """
from pathlib import Path

def handler(event, context):
    effect = (Path(__file__).parent / "verdict.txt").read_text().strip()
    return {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
"""
INVOKE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:abc123/*"}]}


@contextmanager
def instance(config: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    env = {"GATEPOST_MASTER_KEY": base64.b64encode(MASTER_KEY).decode()}
    with serve_process(config, "--workers", "2", env=env, stdout=subprocess.DEVNULL) as (proc, port):
        yield proc, f"http://127.0.0.1:{port}"


def ready(url: str) -> None:
    deadline = time.monotonic() + 120  # four processes starting on a loaded machine
    wait_http(url + "/_gatepost/ready", timeout=120)
    while requests.get(url + "/_gatepost/ready", timeout=5).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


class Token(str):
    """A bearer token for the Lambda authorizer's route."""


class IdToken(str):
    """An ID token of the built-in pool, for its route (revocation checked)."""


class Member(str):
    """A pool user's name: each request signs them in afresh through that instance, then calls the admins-only
    route with the new ID token (groups are read from the catalog at each sign-in)."""


def signed_in(url: str, username: str) -> str:
    r = requests.post(url + "/_gatepost/idp", timeout=30, data=json.dumps({
        "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": APP, "AuthParameters": {"USERNAME": username,
                                                                            "PASSWORD": PASSWORD}}),
        headers={"content-type": "application/x-amz-json-1.1",
                 "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    assert r.status_code == 200, r.text
    return str(r.json()["AuthenticationResult"]["IdToken"])


def status(url: str, value: str | IssuedKey) -> int:
    if isinstance(value, IssuedKey):
        return botocore_send(value, "GET", url + "/iam/x").status_code
    if isinstance(value, Member):
        token = signed_in(url, value)
        return requests.get(url + "/pool/admins", headers={"authorization": f"Bearer {token}"}, timeout=30).status_code
    if isinstance(value, IdToken):
        return requests.get(url + "/pool/x", headers={"authorization": f"Bearer {value}"}, timeout=30).status_code
    if isinstance(value, Token):
        return requests.get(url + "/lam/x", headers={"authorization": value}, timeout=30).status_code
    return requests.get(url + "/keyed", headers={"x-api-key": value}, timeout=30).status_code


PROPAGATION_BOUND = 1.0  # seconds: the promise of docs/operations.md ("every worker of every instance")


def propagated(urls: list[str], value: str | IssuedKey, want: int, changed: float, seconds: float = 30.0) -> float:
    """Seconds from `changed` (taken just before the change was written) until every worker of every instance
    answers `want`: the instances are asked in turn, new connections each time (the kernel spreads them over
    both workers), and an instance counts as changed from the first request of 8 in a row that got `want`."""
    streak = dict.fromkeys(urls, 0)
    since = dict.fromkeys(urls, 0.0)
    while min(streak.values()) < 8:
        for url in urls:
            if streak[url] >= 8:
                continue
            asked = time.monotonic()
            if status(url, value) == want:
                since[url] = since[url] if streak[url] else asked
                streak[url] += 1
            else:
                streak[url] = 0
            assert time.monotonic() - changed < seconds, f"{url} still not {want}"
    return max(since.values()) - changed


@pytest.mark.timeout(500)
def test_two_instances_two_workers_each(tmp_path: Path, postgres_url: str, upstream) -> None:
    catalog = PostgresCatalog(postgres_url, listen=False)
    store = KeyStore(catalog)
    quota_key, quota_value = new_key(catalog, "quota")
    _, disabled_value = new_key(catalog, "to-disable")
    _, rotated_value = new_key(catalog, "to-rotate")
    detached_id, detached_value = new_key(catalog, "to-detach")
    iam = IamAdmin(catalog, SecretBox(MASTER_KEY))
    iam.create_user("carol", "123456789012", now=time.time())
    iam.attach_policy(USERS, "carol", "123456789012", "invoke", INVOKE)
    carol = iam.create_access_key("carol", "123456789012", now=time.time())
    with run_redis(tmp_path) as redis:
        config = tmp_path / "gatepost.yaml"
        (tmp_path / "flip_auth.py").write_text(FLIP_AUTH)
        (tmp_path / "verdict.txt").write_text("Allow")
        # Redis answers slowly when the machine is loaded (the whole suite in parallel): a 5 s timeout instead
        # of 0.5 s keeps the fallback (tests/usage/test_counter_faults.py) out of this test
        counters = redis.url + "?socket_timeout=5&socket_connect_timeout=5"
        config.write_text(POOLS + keyed_config(upstream.url, counters=counters, limit=LIMIT)
                          .replace("state: {", f"state: {{catalog: '{postgres_url}', ")
                          + IAM_API.format(upstream=upstream.url))
        with instance(config) as (a, url_a), instance(config) as (_, url_b):
            ready(url_a)
            ready(url_b)
            # exact quota across four processes: 60 concurrent requests, 40 admitted
            urls = [url_a, url_b] * 30
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda u: status(u, quota_value), urls))
            assert codes.count(200) == LIMIT and codes.count(429) == len(urls) - LIMIT
            # changes written by another process reach every worker of both instances
            for url in (url_a, url_b):
                assert status(url, disabled_value) == status(url, rotated_value) == status(url, detached_value) == 200
            both = [url_a, url_b]
            changed = time.monotonic()
            store.set_enabled("to-disable", False)
            took = {"disabled": propagated(both, disabled_value, 403, changed)}
            changed = time.monotonic()
            _, new_value = store.rotate("to-rotate", grace=0)
            took["rotated"] = propagated(both, rotated_value, 403, changed)
            assert status(url_a, new_value) == status(url_b, new_value) == 200
            changed = time.monotonic()
            store.detach("gold", detached_id)
            took["detached"] = propagated(both, detached_value, 403, changed)
            assert status(url_a, carol) == status(url_b, carol) == 200
            changed = time.monotonic()
            iam.detach_policy(USERS, "carol", "123456789012", "invoke")
            took["IAM policy removed"] = propagated(both, carol, 403, changed)
            token = Token("t")
            for url in (url_a, url_b):  # 40 new connections each: both workers of each instance cache it (300 s)
                assert [status(url, token) for _ in range(40)] == [200] * 40
            (tmp_path / "verdict.txt").write_text("Deny")
            assert status(url_a, token) == status(url_b, token) == 200  # still the cached Allow
            changed = time.monotonic()
            assert cli_main(["cache", "flush", "lam", "prod", "--config", str(config)]) == 0
            took["authorizer cache flushed"] = propagated(both, token, 403, changed)
            # a session revoked through one instance is refused by every worker of both
            iam.attach_policy(USERS, "carol", "123456789012", "idp", allow_idp())
            cognito = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=url_a + "/_gatepost/idp",
                                   aws_access_key_id=carol.access_key_id,
                                   aws_secret_access_key=carol.secret_access_key)
            deadline = time.monotonic() + 30  # the new policy reaches instance A's workers within about a second
            while True:
                try:
                    cognito.admin_create_user(UserPoolId=POOL_ID, Username="dora", MessageAction="SUPPRESS")
                    break
                except botocore.exceptions.ClientError as exc:
                    if "AccessDenied" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            cognito.admin_set_user_password(UserPoolId=POOL_ID, Username="dora", Password=PASSWORD, Permanent=True)
            tokens = cognito.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                           AuthParameters={"USERNAME": "dora", "PASSWORD": PASSWORD})
            id_token = IdToken(tokens["AuthenticationResult"]["IdToken"])
            assert status(url_a, id_token) == status(url_b, id_token) == 200
            changed = time.monotonic()
            cognito.revoke_token(Token=tokens["AuthenticationResult"]["RefreshToken"], ClientId=APP)
            took["token revoked"] = propagated(both, id_token, 401, changed)
            # a user removed from a group through one instance: new sign-ins on every worker of both lack it
            cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username="dora", GroupName="admins")
            dora = Member("dora")
            assert status(url_a, dora) == status(url_b, dora) == 200
            changed = time.monotonic()
            cognito.admin_remove_user_from_group(UserPoolId=POOL_ID, Username="dora", GroupName="admins")
            took["removed from a group"] = propagated(both, dora, 403, changed)
            print("propagation seconds (change written -> every worker of both instances answers anew):", took)
            assert max(took.values()) <= PROPAGATION_BOUND, took
            # an instance killed outright: the other serves, the quota stays used, the report stays exact
            os.killpg(a.pid, signal.SIGKILL)
            a.wait(timeout=30)
            assert status(url_b, quota_value) == 429
            today = day_of(time.time())
            deadline = time.monotonic() + 60
            while usage_of_key(catalog, quota_key, [today]).get((today, "gold")) != LIMIT:
                assert time.monotonic() < deadline, usage_of_key(catalog, quota_key, [today])
                time.sleep(0.1)
    catalog.close()
