"""Usage-plan config problems are reported at load, with what to write instead."""

from __future__ import annotations

import pytest

from gatepost.bootstrap import build_gateway
from gatepost.errors import ConfigError
from gatepost.stores.memory import MemoryCatalog
from support import REPO

BASE = """
usage_plans:
  gold:
    api_stages: [{stages}]
    throttle: {{rate: 1, burst: 1}}
apis:
  shop:
    routes:
      - {{route: "GET /", public: true, api_key_required: true}}
      - {{route: "GET /pets/{{id}}", public: true, api_key_required: true}}
    integration: {{http: "http://127.0.0.1:9"}}
"""


def _problems(stages: str) -> str:
    with pytest.raises(ConfigError) as err:
        build_gateway(text=BASE.format(stages=stages), catalog=MemoryCatalog(), config_dir=REPO)
    return str(err.value)


@pytest.mark.parametrize(("stages", "expected"), [
    ("{api: shopp}", "unknown API 'shopp'"),
    ("{api: shop, stage: beta}", "serves stage 'prod', not 'beta'"),
    ('{api: shop, throttle: {"/pets/{id}/FETCH": {rate: 1, burst: 1}}}', "write it as AWS does"),
    ('{api: shop, throttle: {"pets/GET": {rate: 1, burst: 1}}}', "write it as AWS does"),
    ('{api: shop, throttle: {"/cats/GET": {rate: 1, burst: 1}}}', "matches no route of this API"),
    ('{api: shop, throttle: {"/pets/{id}/POST": {rate: 1, burst: 1}}}', "matches no route of this API"),
    ("{api: shop}, {api: shop}", "listed twice"),
])
def test_plan_problems_are_reported(stages: str, expected: str) -> None:
    assert expected in _problems(stages)


def test_root_and_method_overrides_load() -> None:
    stages = '{api: shop, throttle: {"//GET": {rate: 1, burst: 1}, "/pets/{id}/*": {rate: 2, burst: 2}}}'
    gw = build_gateway(text=BASE.format(stages=stages), catalog=MemoryCatalog(), config_dir=REPO)
    assert gw.apis[0].usage.plans["gold"].methods == {("/", "GET"): (1, 1), ("/pets/{id}", "*"): (2, 2)}
