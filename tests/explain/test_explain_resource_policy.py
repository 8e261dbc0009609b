"""`explain` names each route's resource-policy effect, not one description for the whole API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatepost.cli import main

CONFIG = """
apis:
  a:
    resource_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/prod/GET/*"}
        - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/POST/admin",
           Condition: {NotIpAddress: {"aws:SourceIp": ["10.0.0.0/8"]}}}
    routes:
      - {route: "GET /x", public: true}
      - {route: "POST /admin", public: true}
      - {route: "PUT /other", public: true}
    integration: {mock: {}}
"""


def test_resource_policy_effect_per_route(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "g.yaml"
    cfg.write_text(CONFIG)
    assert main(["explain", str(cfg), "--json"]) == 0
    rows = {r["route"]: r["resource_policy"] for r in json.loads(capsys.readouterr().out)}
    assert rows == {
        "GET /x": "allow",
        "POST /admin": "deny (1 conditional)",
        "PUT /other": "implicit deny (no statement names this route)",
    }
