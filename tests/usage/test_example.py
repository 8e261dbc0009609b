"""The payments example's plan and demo partner key; `serve`/`check` refusing per-process counters with
several workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from keyed import keyed_config

from gatepost.cli import main
from gatepost.config.load import load_file
from gatepost.demo import STARTUP_HOOKS
from gatepost.stores.sqlite import SqliteCatalog
from gatepost.usage.demo import create_demo_key
from gatepost.usage.keyring import load_ring
from support import REPO

EXAMPLE = REPO / "examples" / "payments" / "gatepost.yaml"
MEMORY = 'state: {catalog: "memory://", '


def test_the_example_declares_the_seed_partner_plan() -> None:
    config, _ = load_file(EXAMPLE)
    plan = config.usage_plans["partners"]
    assert plan.throttle is not None and (plan.throttle.rate, plan.throttle.burst) == (100, 200)
    assert plan.quota is not None and (plan.quota.limit, plan.quota.period) == (1_000_000, "DAY")
    route = next(r for r in config.apis["payments"].routes if r.route == "POST /partners/{id}/transactions")
    assert route.api_key_required
    assert create_demo_key in STARTUP_HOOKS


def test_demo_key_is_created_once_attached_and_printed_once(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    config_path = tmp_path / "gatepost.yaml"
    config_path.write_text(EXAMPLE.read_text().replace("sqlite:///.gatepost/payments.db", "sqlite:///demo.db"))
    config, _ = load_file(config_path)
    create_demo_key(config, tmp_path)
    first = capsys.readouterr().out
    value = first.strip().splitlines()[-1].strip()
    assert "shown only this once" in first
    assert value == config.usage.demo_key.value == "DemoPartnerAcme4f9c2b7e1d"  # the key partners_auth.py knows
    create_demo_key(config, tmp_path)  # second start: nothing new; the value is in the config
    again = capsys.readouterr().out
    assert "shown only this once" not in again
    assert again.strip().endswith("its value is set in the config (usage.demo_key.value): DemoPartnerAcme4f9c2b7e1d")
    catalog = SqliteCatalog(tmp_path / "demo.db")
    try:
        ring = load_ring(catalog)
        entry = ring.lookup(value, 0)
        assert entry is not None and entry.name == "demo-partner"
        assert set(ring.attachments(entry.key_id)) == {"partners"}
    finally:
        catalog.close()


def test_serve_and_check_refuse_memory_counters_with_several_workers(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gatepost.yaml"
    config.write_text("server: {workers: 2}\n" + keyed_config("http://127.0.0.1:9").replace("state: {", MEMORY))
    assert main(["check", str(config)]) == 1
    assert "per process" in capsys.readouterr().err
    config.write_text(keyed_config("http://127.0.0.1:9").replace("state: {", MEMORY))
    assert main(["check", str(config)]) == 0
    proc = subprocess.run([sys.executable, "-m", "gatepost", "serve", str(config), "--workers", "3", "--port", "9"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "runs 3 workers" in proc.stderr and "redis://" in proc.stderr
