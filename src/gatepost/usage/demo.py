"""The first-start hook for examples: create the configured demo key (`usage.demo_key`), attach it to its
plan and print its value once. Nothing happens when the config has no `usage.demo_key`; when the key exists,
a later start says how to get its value again."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from gatepost.command import command_name
from gatepost.stores.url import open_catalog
from gatepost.usage.keys import ApiKeyError, KeyStore, plan_stages


def create_demo_key(config: Any, config_dir: Path) -> None:
    demo = config.usage.demo_key
    if demo is None:
        return
    catalog = open_catalog(config.state.catalog, config_dir)
    try:
        store = KeyStore(catalog)
        if catalog.get("api_key_names", demo.name) is not None:
            again = (f"its value is set in the config (usage.demo_key.value): {demo.value}" if demo.value else
                     f"a new value: {command_name()} keys rotate {demo.name} "
                     f"--config {shlex.quote(str(config_dir / 'gatepost.yaml'))}")
            print(f"gatepost: demo API key {demo.name!r} exists (shown at the first start); {again}", flush=True)
            return
        try:
            doc, value = store.create(demo.name, value=demo.value, description="demo key (usage.demo_key)")
            store.attach(demo.plan, doc["id"], stages=plan_stages(config))
        except ApiKeyError as exc:
            print(f"gatepost: demo key {demo.name!r} not created: {exc}", flush=True)
            return
    finally:
        catalog.close()
    print(f"gatepost: created API key {demo.name!r} (id {doc['id']}, usage plan {demo.plan!r}); "
          f"send it as x-api-key. It is shown only this once:\n  {value}", flush=True)
