"""A local OIDC issuer for demos, tests and benchmarks. Never expose it: it mints a token for anyone who asks.

    python -m gatepost.devtools.issuer --port 9100 --issuer bank --user-pool mobile [--keys-dir DIR]

Each issuer lives under its own path on one server: `http://127.0.0.1:9100/bank` is the issuer URL of
`bank`. Per issuer:

    GET  /{name}/.well-known/openid-configuration   discovery (issuer, jwks_uri, token_endpoint)
    GET  /{name}/.well-known/jwks.json              public keys (the signing key last)
    POST /{name}/token                              form or JSON: aud, client_id, sub, username, scope,
                                                    groups, token_use (user pools: id|access), expires_in,
                                                    claims (a JSON object), count (1..10000)
    POST /{name}/rotate                             a new signing key; `keep_old=false` drops the old ones
    GET  /health                                    readiness

`--user-pool NAME` issues Cognito-shaped tokens (`token_use`, `cognito:username`, `cognito:groups`, ID
tokens with `aud`, access tokens with `client_id`); `--issuer NAME` plain OIDC/OAuth access tokens.
`--keys-dir` keeps private keys (JWK JSON) across restarts, so a restarted issuer still signs with, and
publishes, the same keys (benchmarks can load them to mint tokens themselves).
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from gatepost.devtools.jws_sign import generate_key, load_private_jwk, private_jwk, public_jwk, sign_jwt

MAX_COUNT = 10_000
MAX_EXPIRES_IN = 7 * 86_400


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any


@dataclass
class LocalIssuer:
    name: str
    base_url: str  # http://127.0.0.1:PORT
    user_pool: bool = False
    alg: str = "RS256"
    keys_dir: Path | None = None
    keys: list[SigningKey] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.keys and not self._load():
            self.rotate()

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.name}"

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[-1]

    # ---- keys ---------------------------------------------------------------------------------------------

    def rotate(self, keep_old: bool = True) -> str:
        key = SigningKey(f"{self.name}-{secrets.token_hex(4)}", self.alg, generate_key(self.alg))
        self.keys = [*self.keys, key] if keep_old else [key]
        self._save()
        return key.kid

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(k.private, k.kid, k.alg) for k in self.keys]}

    def _path(self) -> Path | None:
        return self.keys_dir / f"{self.name}.keys.json" if self.keys_dir else None

    def _load(self) -> bool:
        path = self._path()
        if path is None or not path.exists():
            return False
        self.keys = [SigningKey(j["kid"], j["alg"], load_private_jwk(j)) for j in orjson.loads(path.read_bytes())]
        return bool(self.keys)

    def _save(self) -> None:
        path = self._path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps([private_jwk(k.private, k.kid, k.alg) for k in self.keys]))
            path.chmod(0o600)

    # ---- tokens ---------------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
                "token_endpoint": f"{self.issuer}/token", "response_types_supported": ["token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": [self.alg],
                "grant_types_supported": ["client_credentials"]}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        key = self.signing_key
        return sign_jwt(claims, key.private, key.alg, **{"kid": key.kid, **header})

    def claims(self, *, token_use: str = "access", sub: str | None = None, aud: str | list[str] | None = None,
               client_id: str | None = None, username: str = "demo-user", scope: str | None = None,
               groups: list[str] | None = None, expires_in: int = 3600, now: float | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        issued = int(time.time() if now is None else now)
        out: dict[str, Any] = {"iss": self.issuer, "sub": sub or (str(uuid.uuid5(uuid.NAMESPACE_URL, username))),
                               "iat": issued, "exp": issued + expires_in, "jti": str(uuid.uuid4())}
        if self.user_pool:
            out.update(self._cognito(token_use, client_id or "mobile-app", username, scope, issued))
        else:
            out["aud"] = aud if aud is not None else client_id or "demo"
            if client_id:
                out["client_id"] = client_id
            if scope:
                out["scope"] = scope
        if groups:
            out["cognito:groups"] = groups
        out.update(extra or {})
        return out

    def _cognito(self, token_use: str, client_id: str, username: str, scope: str | None,
                 issued: int) -> dict[str, Any]:
        if token_use == "id":
            return {"aud": client_id, "token_use": "id", "cognito:username": username, "auth_time": issued,
                    "email_verified": True}
        return {"client_id": client_id, "token_use": "access", "username": username, "auth_time": issued,
                "scope": scope or "aws.cognito.signin.user.admin"}

    def mint(self, **kw: Any) -> str:
        return self.sign(self.claims(**kw))


# ---- the HTTP side ----------------------------------------------------------------------------------------

def _params(raw: dict[str, Any]) -> dict[str, Any]:
    """Token endpoint parameters -> LocalIssuer.claims() arguments. Raises ValueError with a message."""
    kw: dict[str, Any] = {}
    for name in ("sub", "client_id", "username", "scope", "token_use"):
        if raw.get(name):
            kw[name] = str(raw[name])
    if raw.get("aud"):
        aud = raw["aud"]
        kw["aud"] = aud if isinstance(aud, list) else [a for a in str(aud).split(",") if a] or None
        if isinstance(kw["aud"], list) and len(kw["aud"]) == 1:
            kw["aud"] = kw["aud"][0]
    if raw.get("groups"):
        groups = raw["groups"]
        kw["groups"] = groups if isinstance(groups, list) else str(groups).replace(",", " ").split()
    if raw.get("expires_in") is not None:
        kw["expires_in"] = max(1, min(int(raw["expires_in"]), MAX_EXPIRES_IN))
    if raw.get("claims"):
        extra = raw["claims"] if isinstance(raw["claims"], dict) else orjson.loads(raw["claims"])
        if not isinstance(extra, dict):
            raise ValueError("claims must be a JSON object")
        kw["extra"] = extra
    if kw.get("token_use") not in (None, "id", "access"):
        raise ValueError("token_use must be id or access")
    return kw


def make_app(issuers: dict[str, LocalIssuer]) -> web.Application:
    def issuer_of(request: web.Request) -> LocalIssuer:
        found = issuers.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound(text="no such issuer")
        return found

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(issuer_of(request).discovery())

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response(issuer_of(request).jwks())

    async def token(request: web.Request) -> web.Response:
        issuer = issuer_of(request)
        try:
            raw = await request.json() if request.content_type == "application/json" else dict(await request.post())
            if not isinstance(raw, dict):
                raise ValueError("the body must be a form or a JSON object")
            kw = _params(raw)
            count = max(1, min(int(raw.get("count") or 1), MAX_COUNT))
        except ValueError as exc:  # includes JSON decode errors
            return web.json_response({"error": "invalid_request", "error_description": str(exc)}, status=400)
        expires = kw.get("expires_in", 3600)
        if count > 1:
            return web.json_response({"tokens": [issuer.mint(**kw) for _ in range(count)], "token_type": "Bearer",
                                      "expires_in": expires})
        body: dict[str, Any] = {"access_token": issuer.mint(**kw), "token_type": "Bearer", "expires_in": expires}
        if issuer.user_pool and "token_use" not in kw:
            body["access_token"] = issuer.mint(**{**kw, "token_use": "access"})
            body["id_token"] = issuer.mint(**{**kw, "token_use": "id"})
        return web.json_response(body)

    async def rotate(request: web.Request) -> web.Response:
        keep_old = request.query.get("keep_old", "true").lower() not in ("false", "0", "no")
        return web.json_response({"kid": issuer_of(request).rotate(keep_old=keep_old)})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "issuers": sorted(i.issuer for i in issuers.values())})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/{name}/.well-known/openid-configuration", discovery)
    app.router.add_get("/{name}/.well-known/jwks.json", jwks)
    app.router.add_post("/{name}/token", token)
    app.router.add_post("/{name}/rotate", rotate)
    return app


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gatepost.devtools.issuer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="loopback only (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9100, help="port (default 9100)")
    p.add_argument("--issuer", action="append", default=[], metavar="NAME", help="an OIDC issuer (repeatable)")
    p.add_argument("--user-pool", action="append", default=[], metavar="NAME",
                   help="a Cognito-shaped issuer (repeatable)")
    p.add_argument("--alg", default="RS256", choices=["RS256", "RS384", "RS512", "PS256", "ES256", "EdDSA"],
                   help="signing algorithm of new keys (default RS256)")
    p.add_argument("--keys-dir", type=Path, help="keep private keys here across restarts")
    p.add_argument("--public-url", help="base URL in issuer names (default http://HOST:PORT)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        print("the local issuer mints tokens for anyone: it only listens on loopback", file=sys.stderr)
        return 2
    if not args.issuer and not args.user_pool:
        print("name at least one --issuer or --user-pool", file=sys.stderr)
        return 2
    base = (args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    issuers = {n: LocalIssuer(n, base, alg=args.alg, keys_dir=args.keys_dir) for n in args.issuer}
    issuers.update({n: LocalIssuer(n, base, user_pool=True, alg=args.alg, keys_dir=args.keys_dir)
                    for n in args.user_pool})
    print(f"local issuer: {', '.join(i.issuer for i in issuers.values())}", flush=True)
    web.run_app(make_app(issuers), host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
