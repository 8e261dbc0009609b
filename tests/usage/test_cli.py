"""`gatepost keys`, `gatepost plans` and `gatepost usage` against a real SQLite catalog, and the usage a
running gateway recorded there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatepost.cli import main
from gatepost.clock import ManualClock
from gatepost.stores.sqlite import SqliteCatalog
from support import run_gateway

CONFIG = """
server: {{access_log: "off"}}
state: {{catalog: "sqlite:///gp.db"}}
usage: {{flush_interval: 0.1}}
usage_plans:
  gold:
    api_stages: [{{api: shop}}]
    throttle: {{rate: 100, burst: 100}}
    quota: {{limit: 5, period: DAY}}
  bronze:
    api_stages: [{{api: shop, stage: prod}}]
    quota: {{limit: 1, period: WEEK}}
apis:
  shop:
    routes:
      - {{route: "GET /keyed", public: true, api_key_required: true}}
    integration: {{http: "{upstream}"}}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "gatepost.yaml"
    path.write_text(CONFIG.format(upstream="http://127.0.0.1:9"))
    return path


def gp(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fields(out: str) -> dict[str, str]:
    return dict(line.split(":", 1)[0:2] for line in out.splitlines() if ":" in line)


def test_keys_lifecycle(config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    c = ("--config", str(config))
    code, out, err = gp(capsys, "keys", "create", "acme", "--tag", "tier=gold", "--plan", "gold", *c)
    assert code == 0 and "shown only now" in err
    created = {k: v.strip() for k, v in _fields(out).items()}
    value = created["value"]
    assert len(value) == 40 and value.isalnum()

    code, _, err = gp(capsys, "keys", "import", "short", "--value", "tooShort1", *c)
    assert code == 1 and "20 to 128 letters and digits" in err
    code, _, err = gp(capsys, "keys", "import", "dup", "--value", value, *c)
    assert code == 1 and "already used" in err and value not in err
    code, _, err = gp(capsys, "keys", "create", "acme", *c)
    assert code == 1 and "exists already" in err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Imported0123456789abcdef\n"))
    code, out, _ = gp(capsys, "keys", "import", "beta", "--value", "-", "--disabled", *c)
    assert code == 0 and "Imported0123456789abcdef" not in out

    code, out, _ = gp(capsys, "keys", "list", "--json", *c)
    docs = {d["name"]: d for d in map(json.loads, out.splitlines())}
    assert docs["acme"]["plans"] == ["gold"] and docs["acme"]["tags"] == {"tier": "gold"}
    assert docs["beta"]["enabled"] is False
    assert value not in out and "hash" not in out
    code, out, _ = gp(capsys, "keys", "list", *c)
    assert "acme" in out and "disabled" in out and value not in out

    assert gp(capsys, "keys", "enable", "beta", *c)[1].strip().endswith("enabled")
    assert gp(capsys, "keys", "disable", created["id"], *c)[1].strip().endswith("disabled")
    assert gp(capsys, "keys", "disable", "nobody", *c)[0] == 1

    code, out, err = gp(capsys, "keys", "rotate", "acme", "--grace", "24h", *c)
    new = _fields(out)["value"].strip()
    assert code == 0 and new != value and "The old value works until" in err
    assert gp(capsys, "keys", "rotate", "acme", "--grace", "soon", *c)[0] == 1
    catalog = SqliteCatalog(config.parent / "gp.db")
    try:
        doc = catalog.get("api_keys", created["id"])
        assert doc is not None and len(doc["previous"]) == 1
        assert value not in json.dumps(catalog.list("api_keys")) and new not in json.dumps(catalog.list("api_keys"))
    finally:
        catalog.close()


def test_plans_attach_detach_and_one_plan_per_stage(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ("--config", str(config))
    gp(capsys, "keys", "create", "acme", *c)
    code, _, err = gp(capsys, "plans", "attach-key", "gold", "acme", "--rate", "5", *c)
    assert code == 1 and "together" in err
    assert gp(capsys, "plans", "attach-key", "gold", "acme", "--rate", "5", "--burst", "10", *c)[0] == 0
    code, _, err = gp(capsys, "plans", "attach-key", "bronze", "acme", *c)
    assert code == 1 and "only one plan per API stage" in err
    assert gp(capsys, "plans", "attach-key", "platinum", "acme", *c)[0] == 1
    code, out, _ = gp(capsys, "plans", "list", *c)
    assert "gold" in out and "shop/prod" in out and "keys=1" in out and "quota=5/DAY" in out
    code, out, _ = gp(capsys, "plans", "show", "gold", *c)
    shown = json.loads(out)
    assert shown["quota"] == {"limit": 5, "period": "DAY", "offset": 0}
    assert shown["keys"][0]["name"] == "acme" and shown["keys"][0]["throttle"] == {"rate": 5.0, "burst": 10}
    assert gp(capsys, "plans", "detach-key", "gold", "acme", *c)[0] == 0
    assert gp(capsys, "plans", "detach-key", "gold", "acme", *c)[0] == 1
    assert gp(capsys, "plans", "attach-key", "bronze", "acme", *c)[0] == 0


def test_usage_reports_what_the_gateway_recorded(config: Path, upstream, capsys: pytest.CaptureFixture[str]) -> None:
    c = ("--config", str(config))
    code, out, _ = gp(capsys, "keys", "create", "acme", "--plan", "gold", *c)
    value, kid = _fields(out)["value"].strip(), _fields(out)["id"].strip()
    clock = ManualClock()  # 2026-01-01T00:00:00Z
    text = CONFIG.format(upstream=upstream.url)
    for day_requests in (3, 7):
        with run_gateway(text, clock=clock, catalog=SqliteCatalog(config.parent / "gp.db")) as gw:
            codes = [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(day_requests)]
            assert codes.count(200) == min(day_requests, 5)
        clock.advance(86400)
    code, out, _ = gp(capsys, "usage", "acme", "--from", "2026-01-01", "--to", "2026-01-03", *c)
    assert code == 0
    assert json.loads(out) == {"usagePlanId": "gold", "startDate": "2026-01-01", "endDate": "2026-01-03",
                               "items": {kid: [[3, 2], [5, 0], [0, 5]]}}
    assert gp(capsys, "usage", "acme", "--from", "2026-01-05", "--to", "2026-01-01", *c)[0] == 1
    assert gp(capsys, "usage", "acme", "--from", "yesterday", *c)[0] == 1


@pytest.mark.parametrize("verb", [["keys"], ["keys", "create"], ["keys", "import"], ["keys", "list"],
                                  ["keys", "disable"], ["keys", "enable"], ["keys", "rotate"], ["plans"],
                                  ["plans", "list"], ["plans", "show"], ["plans", "attach-key"],
                                  ["plans", "detach-key"], ["usage"]])
def test_every_verb_has_help(verb: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*verb, "--help"])
    assert exit_.value.code == 0 and "usage: gatepost" in capsys.readouterr().out
