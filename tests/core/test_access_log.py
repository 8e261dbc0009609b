"""The access log: one JSON line per request, never a secret."""

from __future__ import annotations

import json
from pathlib import Path

from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway

SECRETS = {
    "bearer": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtc3ViIn0.c2lnbmF0dXJlLXNlY3JldA",
    "api_key": "PartnerKeyValue0123456789abcdef",
    "session": "IQoJb3JpZ2luX2VjEFAKESESSIONTOKEN",
    "query_token": "querySecretToken987654321",
    "signature": "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
}


def test_log_lines_have_the_fields_and_no_secrets(upstream: Upstream, tmp_path: Path) -> None:
    log_file = tmp_path / "access.log"
    cfg = f"""
apis:
  shop:
    authorizers:
      internal: {{type: iam}}
    routes:
      - {{route: "GET /health", public: true}}
      - {{route: "POST /refresh", authorizer: internal}}
    integration: {{http: "{upstream.url}"}}
"""
    log = AccessLog(str(log_file), interval=0.01)
    with run_gateway(cfg, access_log=log) as gw:
        headers = {"Authorization": f"Bearer {SECRETS['bearer']}", "x-api-key": SECRETS["api_key"],
                   "X-Amz-Security-Token": SECRETS["session"], "Cookie": f"session={SECRETS['session']}"}
        gw.get(f"/health?token={SECRETS['query_token']}&X-Amz-Signature={SECRETS['signature']}", headers=headers)
        gw.post("/refresh", headers=headers)
        gw.get("/nowhere", headers=headers)
    log.close()
    text = log_file.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3
    health, refresh, nowhere = lines
    assert health["status"] == 200 and health["route"] == "GET /health" and health["reason"] == "public"
    assert health["method_arn"] == "arn:aws:execute-api:us-east-1:123456789012:shop/prod/GET/health"
    assert refresh["authorizer"] == "internal" and refresh["auth_type"] == "iam" and refresh["status"] >= 400
    assert nowhere["reason"].startswith("route.not_found") and nowhere["status"] == 403
    for line in lines:
        assert {"time", "request_id", "api", "method", "path", "status", "reason", "latency_ms"} <= set(line)
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name} leaked into the access log"
        assert secret[:16] not in text, f"a prefix of {name} leaked into the access log"
