"""The lean Redis connection of the counters' hot path (stores/resp.py), against a real redis-server, on the
standard event loop and on uvloop (which the gateway runs): replies in order when pipelined, error replies,
user/password/db from the URL, timeouts and reconnection."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
import uvloop

from gatepost.stores.resp import ReplyError, RespConnection
from support import free_port, run_redis

Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner:
    return asyncio.run if request.param == "asyncio" else uvloop.run  # type: ignore[return-value]


def test_pipelined_commands_get_their_own_replies_in_order(run: Runner, redis_url: str) -> None:
    async def go() -> list[Any]:
        conn = RespConnection(redis_url, timeout=5)
        try:
            replies = await asyncio.gather(*(conn.call("INCR", "gp:test:n") for _ in range(50)))
            return [replies, await conn.call("SET", "gp:test:s", 1.25), await conn.call("GET", "gp:test:s")]
        finally:
            conn.close()

    replies, ok, value = run(go())
    assert replies == list(range(1, 51)) and ok == b"OK" and value == b"1.25"


def test_an_error_reply_raises_and_the_connection_stays_usable(run: Runner, redis_url: str) -> None:
    async def go() -> Any:
        conn = RespConnection(redis_url, timeout=5)
        try:
            with pytest.raises(ReplyError, match="NOSCRIPT"):
                await conn.call("EVALSHA", "0" * 40, 0)
            return await conn.call("PING")
        finally:
            conn.close()

    assert run(go()) == b"PONG"


def test_user_password_and_database_come_from_the_url(run: Runner, tmp_path: Path) -> None:
    with run_redis(tmp_path) as server:
        admin = redis_sync.Redis.from_url(server.url)
        admin.acl_setuser("gp", enabled=True, passwords=["+s3cret-pw"], keys=["*"], commands=["+@all"])
        base = f"127.0.0.1:{server.port}"

        async def go() -> None:
            conn = RespConnection(f"redis://gp:s3cret-pw@{base}/3", timeout=5)
            try:
                await conn.call("SET", "gp:test:where", "db3")
            finally:
                conn.close()
            wrong = RespConnection(f"redis://gp:not-it@{base}/3", timeout=5)
            with pytest.raises(ConnectionError) as refused:
                await wrong.call("PING")
            assert "not-it" not in str(refused.value) and "AUTH" in str(refused.value)

        run(go())
        assert redis_sync.Redis.from_url(server.url.replace("/0", "/3")).get("gp:test:where") == b"db3"
        admin.close()


def test_a_stalled_redis_times_out_and_the_next_call_connects_again(run: Runner, tmp_path: Path) -> None:
    with run_redis(tmp_path) as server:
        async def go() -> Any:
            conn = RespConnection(server.url, timeout=0.3)
            try:
                assert await conn.call("PING") == b"PONG"
                os.kill(server.proc.pid, signal.SIGSTOP)
                try:
                    with pytest.raises(TimeoutError):
                        await conn.call("PING")
                finally:
                    os.kill(server.proc.pid, signal.SIGCONT)
                return await conn.call("PING")  # a fresh connection: the stalled one may still answer late
            finally:
                conn.close()

        assert run(go()) == b"PONG"


def test_a_restarted_redis_is_reconnected_to(run: Runner, tmp_path: Path) -> None:
    with run_redis(tmp_path) as server:
        async def go() -> list[Any]:
            conn = RespConnection(server.url, timeout=2)
            try:
                await conn.call("PING")
                server.stop()
                server.start()
                answers: list[Any] = []
                for _ in range(2):  # the first may find the old socket closed; then it connects again
                    try:
                        answers.append(await conn.call("PING"))
                    except ConnectionError:
                        answers.append("closed")
                return answers
            finally:
                conn.close()

        answers = run(go())
        assert answers[-1] == b"PONG" and answers.count("closed") <= 1


def test_nothing_listening_is_an_os_error(run: Runner) -> None:
    async def go() -> None:
        conn = RespConnection(f"redis://127.0.0.1:{free_port()}/0", timeout=2)
        with pytest.raises(OSError):
            await conn.call("PING")

    run(go())


def test_rediss_speaks_tls(run: Runner, redis_url: str) -> None:
    """A rediss:// URL makes a TLS connection: to this plain-TCP Redis the handshake fails, nothing is sent."""
    async def go() -> None:
        conn = RespConnection(redis_url.replace("redis://", "rediss://") + "?ssl_cert_reqs=none", timeout=2)
        with pytest.raises((OSError, TimeoutError)):
            await conn.call("PING")

    run(go())
