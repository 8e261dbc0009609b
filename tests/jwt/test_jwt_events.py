"""End to end through a real Lambda-proxy handler: the claims a handler receives in its event
(`requestContext.authorizer`), per flavour, as reference section 7 shows them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from jwt_helpers import Cognito, Issuers, bearer, gateway_yaml

from gatepost.authorizers.jwt_claims import java_date
from gatepost.clock import ManualClock
from support import run_gateway

HANDLER = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
'''
ROUTES = [{"route": "GET /me", "authorizer": "a"}, {"route": "GET /scoped", "authorizer": "a", "scopes": ["s1"]}]


def _config(tmp_path: Path, auth: dict[str, object], flavour: str) -> str:
    (tmp_path / "echo_authorizer.py").write_text(HANDLER)
    return gateway_yaml({"a": auth}, ROUTES, "", flavour=flavour, integration={"lambda": "echo_authorizer:handler"})


def test_http_payload_2_jwt_claims(issuers: Issuers, clock: ManualClock, tmp_path: Path) -> None:
    bank = issuers["bank"]
    cfg = _config(tmp_path, {"type": "jwt", "issuer": bank.issuer, "audiences": ["aud"]}, "http")
    token = bank.mint(aud="aud", scope="s1 s2", groups=["admin", "poweruser"], now=clock.now(),
                      extra={"email_verified": True, "tier": None, "n": 3, "org": {"id": "o1"}})
    with run_gateway(cfg, clock=clock, config_dir=tmp_path) as gw:
        plain = json.loads(gw.get("/me", headers=bearer(token)).text)
        scoped = json.loads(gw.get("/scoped", headers=bearer(token)).text)
    claims = plain["jwt"]["claims"]
    assert plain["jwt"]["scopes"] is None  # routes without scopes: null (AWS)
    assert scoped["jwt"]["scopes"] == ["s1", "s2"]
    assert claims["cognito:groups"] == "[admin poweruser]"
    assert claims["exp"] == str(int(clock.now()) + 3600) and claims["email_verified"] == "true"
    assert claims["n"] == "3" and claims["org"] == "map[id:o1]" and "tier" not in claims
    assert claims["aud"] == "aud" and claims["scope"] == "s1 s2"


def test_rest_payload_1_user_pool_claims(cognito: Cognito, tmp_path: Path) -> None:
    auth: dict[str, object] = {"type": "user_pool", "pool_id": cognito.pool_id, "jwks_uri": cognito.jwks_uri}
    cfg = _config(tmp_path, auth, "rest")
    with run_gateway(cfg, config_dir=tmp_path) as gw:
        r = gw.get("/me", headers=bearer(cognito.id_token))
    assert r.status_code == 200, r.text
    body = json.loads(r.text)
    assert body["scopes"] is None
    claims = body["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["sub"] == cognito.sub and claims["token_use"] == "id" and claims["cognito:username"] == "earl"
    assert sorted(claims["cognito:groups"].split(",")) == ["admin", "support"]
    raw = json.loads(base64.urlsafe_b64decode(cognito.id_token.split(".")[1] + "=="))
    assert claims["exp"] == java_date(raw["exp"]) and claims["iat"] == java_date(raw["iat"])
