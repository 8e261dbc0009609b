"""Live reload in one process (server/reload.py): what survives a reload (Lambda authorizer results of an
unchanged definition, JWKS keys of an unchanged issuer, metrics, quotas), what does not (a changed
definition's cache, a changed issuer's keys), the config version in the access log and the health answer,
and a broken config refused with its located problems while the old version keeps serving."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jwt_helpers import Issuers, bearer, run_issuers
from keyed import keyed_config, new_key

from gatepost.bootstrap import build_gateway
from gatepost.clock import ManualClock
from gatepost.observe.access_log import AccessLog
from gatepost.server.app import GatewayApp
from gatepost.server.listener import NativeServer
from gatepost.server.reload import Outcome, ReloadEngine
from gatepost.server.sockets import bind
from gatepost.stores.memory import MemoryCatalog
from support import RunningGateway, ThreadServer, Upstream

AUD = "shop.example.com"
HANDLER = '''
import pathlib

def handler(event, context):
    with open(pathlib.Path(__file__).with_name("invocations.txt"), "a") as f:
        f.write("call\\n")
    return {"isAuthorized": event["headers"].get("authorization") == "Bearer good"}
'''


@dataclass
class Served(RunningGateway):
    ts: ThreadServer | None = None
    engine: ReloadEngine | None = None
    log: Path = Path()

    def reload(self) -> Outcome:
        assert self.ts is not None and self.engine is not None
        outcome: Outcome = self.ts.call(self.engine.reload(), timeout=120)
        return outcome

    def logged(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@contextlib.contextmanager
def served(path: Path, clock: ManualClock, catalog: MemoryCatalog | None = None) -> Iterator[Served]:
    """The gateway of the config file `path`, on a loopback port in a thread, with its reload engine."""
    gw = build_gateway(path, clock=clock, catalog=catalog or MemoryCatalog())
    log = path.parent / "access.log"
    app = GatewayApp(gw, AccessLog(str(log), max_buffer=1))  # a line is written as each request ends
    sock = bind("127.0.0.1", 0)
    server = NativeServer(app)
    engine = ReloadEngine.attach(str(path), app, lambda: server.connections)
    ts = ThreadServer(uvloop=True)
    try:
        ts.call(server.start(sock))
        port = int(sock.getsockname()[1])
        yield Served(f"http://127.0.0.1:{port}", gw, app, port, ts=ts, engine=engine, log=log)
    finally:
        try:
            ts.call(server.stop(5))
            ts.call(app.gw.close())
        finally:
            ts.close()
            sock.close()


def shop(upstream: str, issuer: str, *, ttl: int = 300, jwks: str = "", extra_route: str = "") -> str:
    routes = ['{route: "GET /lam", authorizer: lam}', '{route: "GET /jwt", authorizer: bank}',
              '{route: "GET /open", public: true}', *([extra_route] if extra_route else [])]
    return (f"apis:\n  shop:\n    flavour: http\n    authorizers:\n"
            f'      lam: {{type: lambda, function: "auth:handler", result_ttl: {ttl}, enable_simple_responses: true, '
            f"identity_sources: [header.authorization]}}\n"
            f'      bank: {{type: jwt, issuer: "{issuer}", audiences: [{AUD}]{jwks}}}\n'
            f"    routes:\n" + "".join(f"      - {r}\n" for r in routes) + f'    integration: {{http: "{upstream}"}}\n')


def wait_for_lines(gw: Served, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while len(lines := gw.logged()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return lines


@pytest.fixture
def issuers() -> Iterator[Issuers]:
    with run_issuers({"bank": False}) as found:
        yield found


def invocations(folder: Path) -> int:
    found = folder / "invocations.txt"
    return len(found.read_text().splitlines()) if found.exists() else 0


def open_requests(app: GatewayApp) -> int:
    snap = app.gw.metrics.snapshot(app.gw)
    return sum(n for api, route, status, reason, n in snap["requests"] if route == "GET /open" and status == 200)


def test_unchanged_authorizers_keep_their_cache_and_keys_changed_ones_do_not(
        tmp_path: Path, upstream: Upstream, issuers: Issuers, clock: ManualClock) -> None:
    (tmp_path / "auth.py").write_text(HANDLER)
    config = tmp_path / "gatepost.yaml"
    bank = issuers["bank"]
    config.write_text(shop(upstream.url, bank.issuer))
    token = bank.mint(aud=AUD, now=clock.now())
    with served(config, clock) as gw:
        first = gw.engine.version
        assert first.load == 1 and gw.get("/_gatepost/health").json()["config"] == first.label
        assert [gw.get("/lam", headers={"authorization": "Bearer good"}).status_code for _ in range(2)] == [200, 200]
        assert invocations(tmp_path) == 1  # the second one came from the cache
        assert gw.get("/jwt", headers=bearer(token)).status_code == 200
        assert issuers.jwks_fetches("bank") == 1
        for _ in range(3):
            assert gw.get("/open").status_code == 200
        assert open_requests(gw.app) == 3

        # a new route; both authorizers as they were
        config.write_text(shop(upstream.url, bank.issuer, extra_route='{route: "GET /new", public: true}'))
        outcome = outcome_two = gw.reload()
        assert outcome.ok and outcome.version.load == 2 and outcome.version.digest != first.digest
        assert gw.get("/_gatepost/health").json()["config"] == outcome.version.label
        assert gw.get("/new").status_code == 200
        assert gw.get("/lam", headers={"authorization": "Bearer good"}).status_code == 200
        assert invocations(tmp_path) == 1  # the same definition found its cached result
        assert gw.get("/jwt", headers=bearer(token)).status_code == 200
        assert issuers.jwks_fetches("bank") == 1  # the same issuer kept its keys: no fetch
        assert gw.get("/open").status_code == 200
        assert open_requests(gw.app) == 4  # the metrics went on from the old totals

        # both authorizers change: the Lambda one's TTL, the issuer's key settings
        config.write_text(shop(upstream.url, bank.issuer, ttl=299, jwks=", jwks: {max_age: 1800}"))
        outcome = gw.reload()
        assert outcome.ok and outcome.version.load == 3
        assert gw.get("/lam", headers={"authorization": "Bearer good"}).status_code == 200
        assert invocations(tmp_path) == 2  # a changed definition does not serve the old one's results
        assert gw.get("/jwt", headers=bearer(token)).status_code == 200
        assert issuers.jwks_fetches("bank") == 2
        assert gw.get("/new").status_code == 404  # the route is gone (an http API answers 404)
        assert open_requests(gw.app) == 4
        second = outcome_two.version.label
        # counted, not listed: the line of a proxied answer may be written after the next request's
        lines = wait_for_lines(gw, 13)  # (each is written just after its answer is sent)
        logged = Counter((line["route"], line["config"]) for line in lines)
    third = gw.engine.version.label
    assert logged == Counter({("GET /lam", first.label): 2, ("GET /jwt", first.label): 1, ("GET /open", first.label): 3,
                              ("GET /new", second): 1, ("GET /lam", second): 1, ("GET /jwt", second): 1,
                              ("GET /open", second): 1, ("GET /lam", third): 1, ("GET /jwt", third): 1,
                              (None, third): 1})
    assert len({first.label, second, third}) == 3 and second.startswith("2.") and third.startswith("3.")


def test_a_broken_config_is_refused_with_its_located_problems_and_the_old_one_keeps_serving(
        tmp_path: Path, upstream: Upstream, clock: ManualClock) -> None:
    config = tmp_path / "gatepost.yaml"
    good = (f'apis: {{shop: {{routes: [{{route: "GET /open", public: true}}], '
            f'integration: {{http: "{upstream.url}"}}}}}}\n')
    config.write_text(good)
    with served(config, clock) as gw:
        before = gw.engine.version
        config.write_text(good.replace("public: true", "public: maybe"))
        outcome = gw.reload()
        assert not outcome.ok and outcome.reason == "config" and outcome.version == before
        assert len(outcome.problems) == 1
        problem = outcome.problems[0]
        assert problem.file == f"{config}:1" and problem.place == "apis.shop.routes[0].public" and problem.fix
        assert outcome.as_dict()["problems"][0]["place"] == problem.place
        assert gw.get("/open").status_code == 200
        assert gw.get("/_gatepost/health").json()["config"] == before.label
        config.write_text(good.replace("GET /open", "GET /again"))  # a good one after the refused one
        outcome = gw.reload()
        assert outcome.ok and outcome.version.load == before.load + 1
        assert gw.get("/again").status_code == 200


def test_quotas_go_on_across_a_reload(tmp_path: Path, upstream: Upstream, clock: ManualClock) -> None:
    catalog = MemoryCatalog()
    _, value = new_key(catalog, "acme", clock=clock)
    config = tmp_path / "gatepost.yaml"
    config.write_text(keyed_config(upstream.url, limit=5))
    with served(config, clock, catalog) as gw:
        assert [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(3)] == [200] * 3
        config.write_text(keyed_config(upstream.url, limit=5) + "# a comment: a new version\n")
        assert gw.reload().ok
        statuses = [gw.get("/keyed", headers={"x-api-key": value}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # 5 a day, whichever version served them
