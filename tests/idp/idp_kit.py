"""Shared pieces of the built-in user pool tests: a config, a gateway with an IAM admin, boto3 clients."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from gatepost.clock import ManualClock
from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import USERS
from gatepost.idp.registry import UserPools
from gatepost.observe.access_log import AccessLog
from gatepost.stores.base import Catalog
from gatepost.stores.memory import MemoryCatalog
from support import RunningGateway, run_gateway

ACCOUNT = "123456789012"
POOL_ID = "us-east-1_TestPool1"
ISSUER = f"http://gatepost.test/_gatepost/idp/{POOL_ID}"
APP = "testappclient000000000001"
SECRET_APP = "testsecretclient000000001"
ADMIN_ROLE = "arn:aws:iam::123456789012:role/Admin"
SUPPORT_ROLE = "arn:aws:iam::123456789012:role/Support"
PEER_ROLE = "arn:aws:iam::123456789012:role/Peer"
PASSWORD = "Correct-Horse-9"
MASTER = b"m" * 32
NO_RETRY = Config(retries={"total_max_attempts": 1})

POOLS = f"""
user_pools:
  mobile:
    pool_id: {POOL_ID}
    public_url: http://gatepost.test
    hashing: {{time_cost: 1, memory_kib: 8192, parallelism: 1}}
    custom_attributes: [tenant]
    lockout: {{max_failures: 3, first_lock_seconds: 60, max_lock_seconds: 600}}
    clients:
      app: {{client_id: {APP}, user_scopes: [profile.read]}}
      secret-app: {{client_id: {SECRET_APP}, generate_secret: true}}
      job: {{generate_secret: true, oauth_flows: [client_credentials], scopes: [payments/reports.read]}}
    resource_servers:
      payments: {{scopes: [reports.read, reports.write]}}
    groups:
      admins: {{precedence: 1, role_arn: "{ADMIN_ROLE}"}}
      support: {{precedence: 5, role_arn: "{SUPPORT_ROLE}"}}
      peers: {{precedence: 5, role_arn: "{PEER_ROLE}"}}
      readers: {{description: no role}}
"""


def config(upstream_url: str, flavour: str = "rest") -> str:
    return POOLS + f"""
apis:
  api:
    flavour: {flavour}
    authorizers:
      pool: {{type: user_pool, builtin: mobile}}
      strict: {{type: user_pool, builtin: mobile, check_revocation: true}}
    routes:
      - {{route: "GET /me", authorizer: pool, scopes: [profile.read]}}
      - {{route: "GET /me/strict", authorizer: strict, scopes: [profile.read]}}
      - {{route: "GET /id", authorizer: pool}}
      - {{route: "GET /id/strict", authorizer: strict}}
      - {{route: "GET /admin", authorizer: pool, scopes: [profile.read], groups: [admins]}}
      - {{route: "GET /reports", authorizer: pool, scopes: [payments/reports.read]}}
    integration: {{http: "{upstream_url}"}}
"""


def allow_idp(action: str = "cognito-idp:*") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


@dataclass
class Idp:
    gw: RunningGateway
    clock: ManualClock
    catalog: Catalog
    iam: IamAdmin
    admin_key: IssuedKey

    @property
    def endpoint(self) -> str:
        return self.gw.url + "/_gatepost/idp"

    @property
    def pools(self) -> UserPools:
        found = UserPools.of(self.gw.gateway.services)
        assert found is not None
        return found

    def client(self, key: IssuedKey | None = None, unsigned: bool = False) -> Any:
        key = key or self.admin_key
        cfg = NO_RETRY.merge(Config(signature_version=UNSIGNED)) if unsigned else NO_RETRY
        return boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=self.endpoint, config=cfg,
                            aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key)

    def create_user(self, username: str, password: str = PASSWORD, groups: tuple[str, ...] = (),
                    attributes: dict[str, str] | None = None) -> None:
        cognito = self.client()
        attrs = [{"Name": k, "Value": v} for k, v in (attributes or {}).items()]
        cognito.admin_create_user(UserPoolId=POOL_ID, Username=username, UserAttributes=attrs,
                                  MessageAction="SUPPRESS")
        cognito.admin_set_user_password(UserPoolId=POOL_ID, Username=username, Password=password, Permanent=True)
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=POOL_ID, Username=username, GroupName=group)

    def sign_in(self, username: str, password: str = PASSWORD, client_id: str = APP) -> dict[str, Any]:
        answer = self.client().initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client_id,
                                             AuthParameters={"USERNAME": username, "PASSWORD": password})
        return dict(answer["AuthenticationResult"])

    def call(self, path: str, token: str) -> Any:
        return self.gw.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("GATEPOST_MASTER_KEY", base64.b64encode(MASTER).decode())
    return MASTER


@contextlib.contextmanager
def running_idp(upstream_url: str, flavour: str = "rest", text: str | None = None,
                catalog: Catalog | None = None, access_log: AccessLog | None = None) -> Iterator[Idp]:
    clock = ManualClock(time.time())
    catalog = catalog if catalog is not None else MemoryCatalog()
    iam = IamAdmin(catalog, SecretBox(MASTER))
    iam.create_user("pool-admin", ACCOUNT, now=clock.now())
    iam.attach_policy(USERS, "pool-admin", ACCOUNT, "idp-admin", allow_idp())
    key = iam.create_access_key("pool-admin", ACCOUNT, now=clock.now())
    with run_gateway(text or config(upstream_url, flavour), clock=clock, catalog=catalog,
                     access_log=access_log) as gw:
        yield Idp(gw, clock, catalog, iam, key)


@pytest.fixture
def idp(master_key: bytes, upstream: Any) -> Iterator[Idp]:
    with running_idp(upstream.url) as world:
        yield world


def claims_of(token: str) -> dict[str, Any]:
    import orjson

    payload = token.split(".")[1]
    return dict(orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
