"""RateBasedStatement: per IP, forwarded IP, custom keys and constant; scope-down; the trailing window's estimate
on the injected clock; exact across two gateways sharing one real Redis (tests/support.py starts redis-server)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from wafkit import Counting, build_acl, evaluate, request

from gatepost.clock import ManualClock
from gatepost.config.compile import compile_gateway
from gatepost.config.load import load_text
from gatepost.errors import ConfigError
from gatepost.services import Services
from support import Upstream, run_gateway

NOW = 1_767_225_600.0  # a window boundary for every EvaluationWindowSec


def _rate(limit: int = 10, window: int = 60, **extra: Any) -> dict[str, Any]:
    return {"Name": "rl", "DefaultAction": {"Allow": {}}, "Rules": [{
        "Name": "per-client", "Priority": 1, "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"Limit": limit, "EvaluationWindowSec": window, **extra}}}]}


def _actions(acl: Any, specs: list[dict[str, Any]], counting: Counting, now: float = NOW) -> list[str]:
    return [evaluate(acl, request(s), now, counting).action.kind for s in specs]


def test_per_ip_limit_over_the_trailing_window_and_other_ips() -> None:
    acl, counting = build_acl(_rate(AggregateKeyType="IP")), Counting()
    a = {"source_ip": "198.51.100.1"}
    assert _actions(acl, [a] * 10, counting) == ["ALLOW"] * 10  # exact: the previous window is empty
    assert _actions(acl, [a, a], counting) == ["BLOCK", "BLOCK"]  # the 11th and later (not counted)
    assert _actions(acl, [{"source_ip": "198.51.100.2"}], counting) == ["ALLOW"]  # another key
    assert _actions(acl, [a], counting, NOW + 59.9) == ["BLOCK"]
    # the next fixed window: the previous window's 10 still weigh by their share of the trailing 60 s, so a
    # burst across the boundary is not a second Limit (fixed windows alone would admit 10 more here)
    assert _actions(acl, [a], counting, NOW + 60) == ["BLOCK"]
    assert _actions(acl, [a] * 6, counting, NOW + 90) == ["ALLOW"] * 5 + ["BLOCK"]  # half left: room for 5
    # a window later the previous window holds those 5; at its middle ceil(5 x 0.5) = 3 of them weigh
    assert _actions(acl, [a] * 8, counting, NOW + 150) == ["ALLOW"] * 7 + ["BLOCK"]
    assert _actions(acl, [a] * 11, counting, NOW + 240) == ["ALLOW"] * 10 + ["BLOCK"]  # previous one empty


class Forgetful(Counting):
    """A store that cannot tell a previous window's count while `unsure` (Redis briefly unreachable for it)."""

    unsure = False

    async def used(self, quota_key: str) -> int | None:
        return None if self.unsure else await super().used(quota_key)


def test_a_previous_window_the_store_cannot_tell_is_read_again_later() -> None:
    acl, counting = build_acl(_rate(AggregateKeyType="IP")), Forgetful()
    a = {"source_ip": "198.51.100.1"}
    assert _actions(acl, [a] * 11, counting) == ["ALLOW"] * 10 + ["BLOCK"]
    counting.unsure = True
    assert _actions(acl, [a], counting, NOW + 60) == ["ALLOW"]  # counted as if the previous window were empty
    counting.unsure = False
    assert _actions(acl, [a], counting, NOW + 61) == ["BLOCK"]  # read now: its 10 weigh ceil(10 x 59/60)


def test_scope_down_only_counts_what_it_matches() -> None:
    scope = {"ByteMatchStatement": {"SearchString": "/login", "FieldToMatch": {"UriPath": {}},
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                    "PositionalConstraint": "EXACTLY"}}
    acl, counting = build_acl(_rate(AggregateKeyType="IP", ScopeDownStatement=scope)), Counting()
    assert _actions(acl, [{"path": "/items"}] * 30, counting) == ["ALLOW"] * 30
    assert _actions(acl, [{"path": "/login"}] * 11, counting)[-2:] == ["ALLOW", "BLOCK"]
    assert _actions(acl, [{"path": "/items"}], counting) == ["ALLOW"]  # not in scope: never blocked


def test_custom_keys_missing_key_is_not_counted_and_values_are_not_in_counter_keys() -> None:
    keys = [{"Header": {"Name": "x-api-client", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
            {"HTTPMethod": {}}]
    acl, counting = build_acl(_rate(AggregateKeyType="CUSTOM_KEYS", CustomKeys=keys)), Counting()
    alice = {"headers": [["X-Api-Client", "Alice-Secret"]], "method": "POST"}
    alice_upper = {"headers": [["X-Api-Client", "ALICE-SECRET"]], "method": "POST"}
    assert _actions(acl, [alice] * 5 + [alice_upper] * 5, counting) == ["ALLOW"] * 10
    assert _actions(acl, [alice], counting) == ["BLOCK"]  # LOWERCASE made them one key
    assert _actions(acl, [{**alice, "method": "GET"}], counting) == ["ALLOW"]  # another method: another key
    assert _actions(acl, [{}] * 20, counting) == ["ALLOW"] * 20  # no header: not rate limited at all
    assert "secret" not in json.dumps(list(counting.counters._quotas)).lower()


def test_forwarded_ip_and_constant_keys() -> None:
    fwd = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
    acl = build_acl(_rate(AggregateKeyType="FORWARDED_IP", ForwardedIPConfig=fwd), trusted=["10.0.0.0/8"])
    counting = Counting()
    via = {"peer_ip": "10.0.0.1", "headers": [["X-Forwarded-For", "192.0.2.1, 10.0.0.1"]]}
    assert _actions(acl, [via] * 11, counting)[-1] == "BLOCK"
    bad = {"peer_ip": "10.0.0.1", "headers": [["X-Forwarded-For", "garbage"]]}
    assert _actions(acl, [bad], counting) == ["BLOCK"]  # FallbackBehavior MATCH
    direct = {"peer_ip": "192.0.2.1", "headers": [["X-Forwarded-For", "192.0.2.1"]]}
    assert _actions(acl, [direct], counting) == ["ALLOW"]  # untrusted peer: the header is absent
    scope = {"ByteMatchStatement": {"SearchString": "POST", "FieldToMatch": {"Method": {}},
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                    "PositionalConstraint": "EXACTLY"}}
    acl, counting = build_acl(_rate(AggregateKeyType="CONSTANT", ScopeDownStatement=scope)), Counting()
    many = [{"method": "POST", "source_ip": f"198.51.100.{i}"} for i in range(11)]
    assert _actions(acl, many, counting)[-1] == "BLOCK"  # one counter for everyone


def _config(url: str, counters: str) -> str:
    acl = _rate(limit=10, window=300, AggregateKeyType="IP")
    return f"""
state: {{counters: "{counters}"}}
web_acls:
  edge: {{definition: {json.dumps(acl)}}}
apis:
  shop:
    web_acl: edge
    routes: [{{route: "GET /items", public: true}}]
    integration: {{http: "{url}"}}
"""


def test_two_gateways_on_one_redis_admit_exactly_the_limit(upstream: Upstream, redis_url: str) -> None:
    clock = ManualClock(NOW + 10)
    text = _config(upstream.url, redis_url)
    with run_gateway(text, clock=clock) as one, run_gateway(text, clock=clock) as two:
        urls = [one.url, two.url] * 20

        def call(url: str) -> int:
            return requests.get(url + "/items", timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(call, urls))
        assert sorted(statuses) == [200] * 10 + [403] * 30
        assert upstream.count == 10
        clock.advance(300)  # the next window: the 10 counted in Redis weigh 290 s of the trailing 300 s
        assert requests.get(two.url + "/items", timeout=10).status_code == 403
        clock.advance(300)  # a window later the previous window is empty
        assert requests.get(one.url + "/items", timeout=10).status_code == 200


def test_per_process_counters_with_several_workers_are_refused() -> None:
    config, doc = load_text(_config("http://127.0.0.1:9", "memory://"), "gatepost.yaml")
    with pytest.raises(ConfigError, match=r"web_acls\.edge: state.counters is memory:// \(per process\)"):
        compile_gateway(config, doc, Services(workers=2), Path("."))
