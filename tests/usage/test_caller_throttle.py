"""Stage- and route-level throttles that apply to every caller, before any authorizer: by source IP
(the default) or globally."""

from __future__ import annotations

from gatepost.clock import ManualClock
from support import run_gateway

CONFIG = """
server: {{trusted_proxies: ["127.0.0.1/32"]}}
apis:
  shop:
    throttle: {{rate: 1, burst: {stage_burst}, by: {stage_by}}}
    authorizers:
      internal: {{type: iam}}
    routes:
      - {{route: "POST /login", public: true, throttle: {{rate: 1, burst: 2}}}}
      - {{route: "GET /open", public: true}}
      - {{route: "GET /signed", authorizer: internal}}
    integration: {{http: "{upstream}"}}
"""


def _get(gw, path: str, ip: str, method: str = "GET") -> int:  # type: ignore[no-untyped-def]
    return int(gw.request(method, path, headers={"x-forwarded-for": ip}).status_code)


def test_route_throttle_by_source_ip(upstream, clock: ManualClock) -> None:
    with run_gateway(CONFIG.format(upstream=upstream.url, stage_burst=100, stage_by="source_ip"), clock=clock) as gw:
        assert [_get(gw, "/login", "10.0.0.1", "POST") for _ in range(3)] == [200, 200, 429]
        assert [_get(gw, "/login", "10.0.0.2", "POST") for _ in range(3)] == [200, 200, 429]  # its own bucket
        r = gw.post("/login", headers={"x-forwarded-for": "10.0.0.1"})
        assert r.json() == {"message": "Too Many Requests"} and r.headers["retry-after"] == "1"
        assert _get(gw, "/open", "10.0.0.1") == 200  # other routes are not limited by this one
        clock.advance(1)
        assert [_get(gw, "/login", "10.0.0.1", "POST") for _ in range(2)] == [200, 429]
    assert upstream.count == 6


def test_global_stage_throttle_runs_before_the_authorizer(upstream, clock: ManualClock) -> None:
    with run_gateway(CONFIG.format(upstream=upstream.url, stage_burst=3, stage_by="global"), clock=clock) as gw:
        first = [_get(gw, "/signed", f"10.0.0.{i}") for i in range(3)]
        assert 429 not in first  # the authorizer answered these (unsigned: refused)
        r = gw.get("/signed", headers={"x-forwarded-for": "10.0.0.9"})
        assert r.status_code == 429 and r.json() == {"message": "Too Many Requests"}  # no authorizer work
        assert _get(gw, "/open", "10.0.0.10") == 429  # one bucket for the whole stage
        clock.advance(1)
        assert _get(gw, "/open", "10.0.0.10") == 200
