"""One head timer per upstream connection, re-armed only when it fires early (a timer per request cost a
heap push and a cancel every time): the timeout still holds exchange by exchange on a reused connection."""

from __future__ import annotations

import asyncio
import time

import pytest
from scripted import Seen, answer, scripted

from gatepost.upstream import Origin, Pool, UpstreamTimeout


async def test_a_shorter_timeout_on_a_reused_connection_still_fires() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        if n == 1:
            await asyncio.sleep(1.0)
        w.write(answer(200, b"ok"))

    async with scripted(h) as up:
        pool = Pool(Origin.parse(up.origin))
        resp = await pool.request("GET", "/", [], b"", timeout=5)  # arms the connection's timer 5 s out
        assert resp.status == 200 and await resp.read() == b"ok"
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout):
            await pool.request("GET", "/", [], b"", timeout=0.2)  # same connection, earlier deadline
        assert time.monotonic() - started < 0.9
        assert pool.opened == 1
        await pool.close()


async def test_a_timer_armed_for_an_earlier_exchange_does_not_cut_a_later_one() -> None:
    async def h(n: int, seen: Seen, w: asyncio.StreamWriter) -> None:
        if n == 1:
            await asyncio.sleep(0.4)  # answers after the first exchange's deadline, before its own
        w.write(answer(200, f"answer {n}".encode()))

    async with scripted(h) as up:
        pool = Pool(Origin.parse(up.origin))
        first = await pool.request("GET", "/", [], b"", timeout=0.6)  # timer armed at t0 + 0.6
        assert await first.read() == b"answer 0"
        await asyncio.sleep(0.3)  # the upstream's pace, not the gateway clock: the timer must fire mid-exchange
        second = await pool.request("GET", "/", [], b"", timeout=0.6)  # deadline t0 + 0.9, answer at ~t0 + 0.7
        assert second.status == 200 and await second.read() == b"answer 1"
        assert pool.opened == 1
        await pool.close()
