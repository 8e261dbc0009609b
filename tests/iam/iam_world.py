"""Shared pieces of the IAM tests: a master key, a catalog with principals, a gateway config (fixtures are
re-exported by conftest.py)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gatepost.clock import ManualClock
from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import ROLES, USERS
from gatepost.stores.memory import MemoryCatalog

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "999999999999"
API_ARN = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123/prod"


def allow(resource: str = f"{API_ARN}/*", action: str = "execute-api:Invoke") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def config(upstream_url: str, *, resource_policy: dict[str, Any] | None = None, flavour: str = "rest",
           server: str = "") -> str:
    policy = f"    resource_policy: {json.dumps(resource_policy)}\n" if resource_policy else ""
    return f"""
{server}
apis:
  api:
    flavour: {flavour}
    api_id: abc123
    stage: prod
    region: us-east-1
    account_id: "{ACCOUNT}"
    authorizers:
      sig: {{type: iam}}
{policy}    routes:
      - {{route: "GET /open", public: true}}
      - {{route: "ANY /{{proxy+}}", authorizer: sig}}
    integration: {{http: "{upstream_url}"}}
"""


@dataclass
class World:
    catalog: MemoryCatalog
    admin: IamAdmin
    clock: ManualClock
    alice: IssuedKey  # user with a policy allowing the whole API
    bob: IssuedKey  # user without policies
    role_session: IssuedKey  # session of role Deployer (allowed on GET /pets/*)
    mallory: IssuedKey  # user of another account, allowed by her own policy

    def key(self, name: str, account: str = ACCOUNT) -> IssuedKey:
        return self.admin.create_access_key(name, account, now=self.clock.now())


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    key = b"k" * 32
    monkeypatch.setenv("GATEPOST_MASTER_KEY", base64.b64encode(key).decode())
    return key


@pytest.fixture
def world(master_key: bytes) -> Iterator[World]:
    clock = ManualClock(time.time())
    catalog = MemoryCatalog()
    admin = IamAdmin(catalog, SecretBox(master_key))
    now = clock.now()
    admin.create_user("alice", ACCOUNT, tags={"team": "payments"}, now=now)
    admin.attach_policy(USERS, "alice", ACCOUNT, "invoke-all", allow())
    admin.create_user("bob", ACCOUNT, now=now)
    admin.create_role("Deployer", ACCOUNT, now=now)
    admin.attach_policy(ROLES, "Deployer", ACCOUNT, "pets", allow(f"{API_ARN}/GET/pets/*"))
    admin.create_user("mallory", OTHER_ACCOUNT, now=now)
    admin.attach_policy(USERS, "mallory", OTHER_ACCOUNT, "invoke", allow("arn:aws:execute-api:*:*:*"))
    yield World(catalog, admin, clock,
                admin.create_access_key("alice", ACCOUNT, now=now),
                admin.create_access_key("bob", ACCOUNT, now=now),
                admin.assume_role("Deployer", ACCOUNT, "ci-run-7", now=now),
                admin.create_access_key("mallory", OTHER_ACCOUNT, now=now))
