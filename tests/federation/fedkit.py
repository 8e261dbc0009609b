"""A gateway with a built-in user pool, an identity pool over it, and IAM roles per group (federation tests)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from gatepost.clock import ManualClock
from gatepost.iam.admin import IamAdmin, IssuedKey
from gatepost.iam.crypto import SecretBox
from gatepost.iam.model import ROLES, USERS
from gatepost.stores.base import Catalog
from gatepost.stores.memory import MemoryCatalog
from support import RunningGateway, run_gateway

HERE = Path(__file__).parent
ACCOUNT = "123456789012"
POOL_ID = "us-east-1_FedPool01"
APP = "fedappclient0000000000001"
IDENTITY_POOL = "us-east-1:0b5f6c1e-2d3a-4b7c-8e9f-1a2b3c4d5e6f"
PROVIDER = f"cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
MASTER = b"f" * 32
PASSWORD = "Correct-Horse-9"
ROLE = "arn:aws:iam::123456789012:role/{}"
NO_RETRY = Config(retries={"total_max_attempts": 1})

CONFIG = f"""
user_pools:
  mobile:
    pool_id: {POOL_ID}
    public_url: http://gatepost.test
    hashing: {{time_cost: 1, memory_kib: 8192, parallelism: 1}}
    clients:
      app: {{client_id: {APP}}}
    groups:
      teachers: {{precedence: 1, role_arn: "{ROLE.format('Teachers')}"}}
      students: {{precedence: 2, role_arn: "{ROLE.format('Students')}"}}
      both-a: {{precedence: 3, role_arn: "{ROLE.format('Teachers')}"}}
identity_pools:
  school:
    identity_pool_id: "{IDENTITY_POOL}"
    allow_unauthenticated: true
    credentials_seconds: 900
    providers:
      - builtin: mobile
    roles:
      authenticated: "{ROLE.format('Members')}"
      unauthenticated: "{ROLE.format('Guests')}"
    role_mappings:
      mobile: {{type: Token, ambiguous_role_resolution: AuthenticatedRole}}
apis:
  school:
    flavour: rest
    stage: prod
    api_id: school1
    authorizers:
      sig: {{type: iam}}
    routes:
      - {{route: "GET /grades", authorizer: sig}}
      - {{route: "GET /homework", authorizer: sig}}
      - {{route: "GET /timetable", authorizer: sig}}
      - {{route: "GET /whoami", authorizer: sig, integration: {{lambda: "federation_echo:identity"}}}}
    integration: {{mock: {{status: 200, body: '{{"ok": true}}'}}}}
"""

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": IDENTITY_POOL},
                  "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "{amr}"}}}]}


def trust(amr: str) -> dict[str, Any]:
    statement = dict(TRUST["Statement"][0])
    statement["Condition"] = {**statement["Condition"],
                              "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def invoke(*paths: str) -> dict[str, Any]:
    arns = [f"arn:aws:execute-api:us-east-1:{ACCOUNT}:school1/prod/GET/{p}" for p in paths]
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                    "Resource": arns}]}


def seed_roles(iam: IamAdmin, now: float) -> None:
    """Teachers see grades, students homework, members the timetable, guests only the timetable too."""
    grants = {"Teachers": ("grades", "whoami"), "Students": ("homework", "whoami"),
              "Members": ("timetable",), "Guests": ("timetable", "whoami")}
    for name, paths in grants.items():
        amr = "unauthenticated" if name == "Guests" else "authenticated"
        iam.create_role(name, ACCOUNT, trust_policy=trust(amr), now=now)
        iam.attach_policy(ROLES, name, ACCOUNT, "invoke", invoke(*paths))
    iam.create_role("Untrusted", ACCOUNT, now=now)  # no trust policy: Cognito may not assume it
    iam.attach_policy(ROLES, "Untrusted", ACCOUNT, "invoke", invoke("grades"))


@dataclass
class Federation:
    gw: RunningGateway
    clock: ManualClock
    catalog: Catalog
    iam: IamAdmin
    admin_key: IssuedKey

    def idp(self) -> Any:
        return boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=self.gw.url + "/_gatepost/idp",
                            config=NO_RETRY, aws_access_key_id=self.admin_key.access_key_id,
                            aws_secret_access_key=self.admin_key.secret_access_key)

    def identity(self) -> Any:
        return boto3.client("cognito-identity", region_name="us-east-1", config=NO_RETRY.merge(
            Config(signature_version=UNSIGNED)), endpoint_url=self.gw.url + "/_gatepost/cognito-identity")

    def user(self, username: str, *groups: str) -> str:
        """Create a user in these groups and return a fresh ID token."""
        idp = self.idp()
        idp.admin_create_user(UserPoolId=POOL_ID, Username=username, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=POOL_ID, Username=username, Password=PASSWORD, Permanent=True)
        for group in groups:
            idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=username, GroupName=group)
        return self.id_token(username)

    def id_token(self, username: str) -> str:
        answer = self.idp().initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=APP,
                                          AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
        return str(answer["AuthenticationResult"]["IdToken"])

    def credentials(self, token: str | None, **extra: Any) -> tuple[str, dict[str, Any]]:
        client = self.identity()
        logins = {PROVIDER: token} if token is not None else {}
        identity_id = client.get_id(IdentityPoolId=IDENTITY_POOL, **({"Logins": logins} if logins else {}))
        answer = client.get_credentials_for_identity(IdentityId=identity_id["IdentityId"],
                                                     **({"Logins": logins} if logins else {}), **extra)
        return identity_id["IdentityId"], dict(answer["Credentials"])

    def call(self, creds: dict[str, Any], path: str) -> requests.Response:
        url = self.gw.url + path
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]),
                  "execute-api", "us-east-1").add_auth(request)
        return requests.get(url, headers=dict(request.headers.items()), timeout=10)


@contextlib.contextmanager
def federation(catalog: Catalog | None = None, text: str = CONFIG) -> Iterator[Federation]:
    clock = ManualClock(time.time())
    catalog = catalog if catalog is not None else MemoryCatalog()
    iam = IamAdmin(catalog, SecretBox(MASTER))
    if iam.role("Teachers", ACCOUNT) is None:
        seed_roles(iam, clock.now())
        iam.create_user("pool-admin", ACCOUNT, now=clock.now())
        iam.attach_policy(USERS, "pool-admin", ACCOUNT, "idp-admin", {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}]})
    key = iam.create_access_key("pool-admin", ACCOUNT, now=clock.now())
    with run_gateway(text, clock=clock, catalog=catalog, config_dir=HERE) as gw:
        yield Federation(gw, clock, catalog, iam, key)
