"""Tokens and signatures never reach a log line: gateway logs (all levels) and the access log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from jwt_helpers import Issuers, bearer, gateway_yaml

from gatepost.clock import ManualClock
from gatepost.devtools.jws_sign import generate_key, sign_jwt
from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway


def test_no_token_in_any_log(issuers: Issuers, upstream: Upstream, clock: ManualClock, tmp_path: Path,
                             caplog: pytest.LogCaptureFixture) -> None:
    bank, pool = issuers["bank"], issuers["pool"]
    aud = "payments.example.com"
    tokens = [
        bank.mint(aud=aud, now=clock.now()),  # valid
        bank.mint(aud=aud, now=clock.now() - 7200),  # expired
        bank.mint(aud="wrong", now=clock.now()),
        sign_jwt(bank.claims(aud=aud, now=clock.now()), generate_key(), "RS256", kid="unknown-kid"),
        bank.mint(aud=aud, now=clock.now())[:-5],  # bad signature
        pool.mint(token_use="id", now=clock.now()),
        pool.mint(token_use="access", now=clock.now()),
    ]
    cfg = gateway_yaml({"bank": {"type": "jwt", "issuer": bank.issuer, "audiences": [aud]},
                        "mobile": {"type": "user_pool", "issuer": pool.issuer},
                        "down": {"type": "jwt", "issuer": "http://127.0.0.1:9/nobody", "audiences": [aud]}},
                       [{"route": "GET /bank", "authorizer": "bank"}, {"route": "GET /me", "authorizer": "mobile"},
                        {"route": "GET /down", "authorizer": "down"}], upstream.url, flavour="rest")
    log = tmp_path / "access.log"
    with caplog.at_level(logging.DEBUG), run_gateway(cfg, clock=clock, access_log=AccessLog(str(log))) as gw:
        for token in tokens:
            for path in ("/bank", "/me", "/down"):
                gw.get(path, headers=bearer(token))
    text = caplog.text + log.read_text()
    assert "jwks.fetched" in caplog.text and "jwks.fetch_failed" in caplog.text  # fetches are logged
    assert "jwt.expired" in text and "user_pool.allow" in text
    for token in tokens:
        for part in [token, *token.split(".")]:
            if len(part) >= 16:
                assert part not in text
