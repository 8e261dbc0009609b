"""Real issuers on loopback for the jwt/user_pool tests: the local OIDC issuer (in a thread), hostile and
broken key servers, moto's Cognito server, and small config builders."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import yaml
from aiohttp import web

from gatepost.devtools.issuer import LocalIssuer, make_app
from support import ThreadServer, bound_socket, free_port, wait_http

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    """An aiohttp app on a loopback port in its own thread; can be stopped and started again on the same port
    (held, bound but not listening, from creation to `close`: nobody takes it while the server is stopped,
    and connections to it are refused)."""

    def __init__(self, build: Callable[[], web.Application]) -> None:
        self.build = build
        self._holder = bound_socket(reuse_port=True)
        self.port = int(self._holder.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits: list[str] = []
        self._ts: ThreadServer | None = None
        self._runner: web.AppRunner | None = None

    def start(self) -> WebServer:
        @web.middleware
        async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
            self.hits.append(request.path)
            return await handler(request)

        async def go() -> web.AppRunner:
            app = self.build()
            app.middlewares.append(record)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
            await runner.setup()
            await web.SockSite(runner, bound_socket(self.port, reuse_port=True)).start()
            return runner

        self._ts = ThreadServer()
        self._runner = self._ts.call(go())
        return self

    def stop(self) -> None:
        if self._ts is not None and self._runner is not None:
            self._ts.call(self._runner.cleanup())
            self._ts.close()
        self._ts = self._runner = None

    def close(self) -> None:
        """Stop, and let the port go."""
        self.stop()
        self._holder.close()

    def count(self, suffix: str) -> int:
        return sum(1 for p in self.hits if p.endswith(suffix))


@dataclass
class Issuers:
    """Several local issuers on one server (`bank`, `other`: OIDC; `pool`: Cognito-shaped)."""

    server: WebServer
    issuers: dict[str, LocalIssuer] = field(default_factory=dict)

    def __getitem__(self, name: str) -> LocalIssuer:
        return self.issuers[name]

    def jwks_fetches(self, name: str) -> int:
        return self.server.count(f"/{name}/.well-known/jwks.json")


@contextlib.contextmanager
def run_issuers(spec: dict[str, bool] | None = None, alg: str = "RS256") -> Iterator[Issuers]:
    spec = spec or {"bank": False, "other": False, "pool": True}
    server = WebServer(lambda: make_app(issuers))
    issuers = {name: LocalIssuer(name, server.url, user_pool=pool, alg=alg) for name, pool in spec.items()}
    try:
        yield Issuers(server.start(), issuers)
    finally:
        server.close()


@contextlib.contextmanager
def run_web(routes: dict[str, Handler]) -> Iterator[WebServer]:
    def build() -> web.Application:
        app = web.Application()
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        return app

    server = WebServer(build)
    try:
        yield server.start()
    finally:
        server.close()


def gateway_yaml(authorizers: dict[str, Any], routes: list[Any], upstream: str,
                 flavour: str = "http", integration: dict[str, Any] | None = None, **api: Any) -> str:
    doc = {"apis": {"t": {"flavour": flavour, "authorizers": authorizers, "routes": routes,
                          "integration": integration or {"http": upstream}, **api}}}
    return yaml.safe_dump(doc, sort_keys=False)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _sleep_forever(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(30)
    return web.json_response({})


SLOW = _sleep_forever


# ---- moto's Cognito server ----------------------------------------------------------------------------------

@dataclass
class Cognito:
    endpoint: str
    pool_id: str
    client_id: str
    id_token: str
    access_token: str
    sub: str
    plain_id_token: str  # a user in no group

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.us-east-1.amazonaws.com/{self.pool_id}"

    @property
    def jwks_uri(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"


@contextlib.contextmanager
def run_moto() -> Iterator[Cognito]:
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_http(endpoint + "/moto-api/", timeout=30)
        yield _cognito_fixture(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _cognito_fixture(endpoint: str) -> Cognito:
    idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    pool_id = idp.create_user_pool(PoolName="mobile")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                                  "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(GroupName="admin", UserPoolId=pool_id)
    idp.create_group(GroupName="support", UserPoolId=pool_id)
    tokens = {}
    for user, groups in (("earl", ["admin", "support"]), ("plain", [])):
        idp.admin_create_user(UserPoolId=pool_id, Username=user,
                              UserAttributes=[{"Name": "email", "Value": f"{user}@example.net"}])
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user, Password="Corr3ct-Horse!", Permanent=True)
        for g in groups:
            idp.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName=g)
        result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": user, "PASSWORD": "Corr3ct-Horse!"})
        tokens[user] = result["AuthenticationResult"]
    sub = idp.admin_get_user(UserPoolId=pool_id, Username="earl")["UserAttributes"]
    sub_value = next(a["Value"] for a in sub if a["Name"] == "sub")
    return Cognito(endpoint, pool_id, client_id, tokens["earl"]["IdToken"], tokens["earl"]["AccessToken"],
                   sub_value, tokens["plain"]["IdToken"])


def now() -> float:
    return time.time()


def access_log_reasons(path: Any) -> list[str]:
    import orjson

    with open(path, "rb") as f:
        return [orjson.loads(line)["reason"] for line in f if line.strip()]
