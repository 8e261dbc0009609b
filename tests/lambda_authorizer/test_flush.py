"""Flushing (AWS's FlushStageAuthorizersCache): in-process at once; `gatepost cache flush API STAGE` reaches
running gateways through the catalog (every worker) and deletes the stage's entries from Redis at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lakit import AUTHORIZERS, authorizer, gateway, handler_module, match_for, request, rest_config

from gatepost.cli import main
from gatepost.clock import ManualClock
from gatepost.gateway import Gateway
from gatepost.stores.redis_cache import RedisCache
from gatepost.stores.sqlite import SqliteCatalog
from support import RunningGateway, Upstream, run_gateway

TRAP = '{type: lambda, kind: token, function: "trap:handler"}'


async def allow(gw: Gateway, token: str = "let-me-in") -> bool:
    req = request("GET", "/pets/1", headers={"authorization": token})
    return (await authorizer(gw).authorize(req, match_for(gw, req))).allowed


async def test_flush_in_process_is_immediate(clock: ManualClock) -> None:
    gw = gateway(rest_config(TRAP), clock=clock)
    await gw.start()
    assert await allow(gw) and await allow(gw)
    assert authorizer(gw).stats.invocations == 1
    assert await authorizer(gw).flush() == 1
    assert await allow(gw)
    assert authorizer(gw).stats.invocations == 2
    await gw.close()


async def test_an_invocation_started_before_a_flush_does_not_store_its_result(clock: ManualClock) -> None:
    gw = gateway(rest_config('{type: lambda, kind: token, function: "behaviours:single_flight"}'), clock=clock)
    await gw.start()
    pending = asyncio.ensure_future(allow(gw, "t"))
    await asyncio.sleep(0.05)  # the invocation is running (it takes 0.3 s)
    await authorizer(gw).flush()
    assert await pending
    assert await allow(gw, "t")  # not served from a result computed before the flush
    assert authorizer(gw).stats.invocations == 2
    assert len(handler_module(gw).EVENTS) == 2
    await gw.close()


def write_config(tmp_path: Path, state: str) -> Path:
    path = tmp_path / "gatepost.yaml"
    path.write_text(rest_config(TRAP, state=state))
    return path


def get(gw: RunningGateway) -> int:
    return gw.get("/pets/1", headers={"Authorization": "let-me-in"}).status_code


def wait_for(predicate: object, timeout: float = 5.0) -> None:
    """Wait for the gateway's background catalog watcher (it polls every 0.25 s)."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the running gateway did not see the flush"
        time.sleep(0.05)


def test_cli_flush_reaches_a_running_gateway_through_the_catalog(
        tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "state: {catalog: 'sqlite:///catalog.db'}")
    catalog = SqliteCatalog(tmp_path / "catalog.db")
    text = config.read_text().replace("http://127.0.0.1:9", upstream.url)
    with run_gateway(text, catalog=catalog, config_dir=AUTHORIZERS) as gw:
        assert get(gw) == 200 and get(gw) == 200
        a = authorizer(gw)
        assert a.stats.invocations == 1
        assert main(["cache", "flush", "shop", "prod", "--config", str(config)]) == 0
        assert "flushed the authorizer cache of shop stage prod (flush #1)" in capsys.readouterr().out
        wait_for(lambda: a.stats.flushes == 1)
        assert get(gw) == 200
        assert a.stats.invocations == 2
        assert main(["cache", "flush", "a1b2c3d4e5", "prod", "--config", str(config)]) == 0  # by api_id too
        wait_for(lambda: a.stats.flushes == 2)


def test_cli_flush_refuses_unknown_api_or_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "state: {catalog: 'sqlite:///catalog.db'}")
    assert main(["cache", "flush", "nope", "prod", "--config", str(config)]) == 1
    assert "no API 'nope'" in capsys.readouterr().err
    assert main(["cache", "flush", "shop", "dev", "--config", str(config)]) == 1
    assert "serves stage 'prod', not 'dev'" in capsys.readouterr().err


def test_redis_cache_is_shared_and_flushed_at_once(tmp_path: Path, redis_url: str, upstream: Upstream,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, f"state: {{catalog: 'sqlite:///catalog.db', cache: '{redis_url}'}}")
    text = rest_config(TRAP, upstream=upstream.url)
    with run_gateway(text, cache=RedisCache(redis_url), config_dir=AUTHORIZERS) as one, \
            run_gateway(text, cache=RedisCache(redis_url), config_dir=AUTHORIZERS) as two:
        assert get(one) == 200
        assert get(two) == 200  # another instance: served from the shared cache
        assert (authorizer(one).stats.invocations, authorizer(two).stats.invocations) == (1, 0)
        assert authorizer(two).stats.hits == 1
        assert main(["cache", "flush", "shop", "prod", "--config", str(config)]) == 0
        assert "1 entries deleted from redis" in capsys.readouterr().out
        assert get(two) == 200  # at once, without waiting for any watcher
        assert authorizer(two).stats.invocations == 1


def test_redis_down_means_no_cache_not_no_authorizer(tmp_path: Path, upstream: Upstream) -> None:
    from support import run_redis

    with run_redis(tmp_path) as redis_server:
        url = redis_server.url
        with run_gateway(rest_config(TRAP, upstream=upstream.url), cache=RedisCache(url),
                         config_dir=AUTHORIZERS) as gw:
            assert get(gw) == 200
            redis_server.stop()
            assert get(gw) == 200  # the authorizer decides: a cache outage is a miss
            assert gw.get("/pets/1", headers={"Authorization": "wrong"}).status_code == 401
            stats = authorizer(gw).stats
            assert stats.invocations == 3 and stats.store_errors >= 2
