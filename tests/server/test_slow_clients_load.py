"""Hundreds of slow clients and a flood of oversized heads against a `gatepost serve` process, while a normal
client keeps being answered and the server's memory stays flat.

For 8 s: 300 connections trickle a head one byte every 0.3 s (reconnecting when cut), more than the
server's 200 places (`max_connections: 200`, `head_timeout: 1`); 20 connections at a time each send a
512 KB header line; a normal client sends a request on a new connection every 0.25 s, and another on
one kept-alive connection. Bound stated for the normal client: every answer a 200 within 10 s (a new
connection may wait in the backlog until the head deadline frees places: about 1 s), and the server's RSS
no more than 8 MB over its warmed-up start.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from support import serve_process, wait_http

CONFIG = """
server: {access_log: "off", head_timeout: 1, idle_timeout: 2, max_connections: 200}
apis:
  t:
    routes:
      - {route: "GET /ok", public: true, integration: {mock: {status: 200, body: ok}}}
"""
REQUEST = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
SECONDS = 8.0
SLOW = 300
FLOOD = 20
BOUND = 10.0  # seconds: the normal client's stated bound
RSS_GROWTH_MB = 8.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@dataclass
class Seen:
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    refused_431: int = 0
    slow_cut: int = 0
    reconnects: int = 0
    peak_rss: float = 0.0


async def ask(port: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(REQUEST)
        line = await reader.readline()
        return int(line.split()[1])
    finally:
        writer.close()


async def normal_client(port: int, stop: float, seen: Seen) -> None:
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            status = await asyncio.wait_for(ask(port), BOUND * 2)
        except (TimeoutError, OSError):
            status = 0
        seen.latencies.append(time.monotonic() - started)
        seen.statuses.append(status)
        await asyncio.sleep(0.25)


async def kept_alive_client(port: int, stop: float, seen: Seen) -> None:
    """Requests on one kept-alive connection; when the server closed it while idle (at the cap an idle
    connection gives its place to a waiting client) it reconnects and asks again, as HTTP clients do."""
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.monotonic() < stop:
        started = time.monotonic()
        status = 0
        while not status and time.monotonic() - started < BOUND * 2:
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = conn
                writer.write(REQUEST)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND * 2)
                await reader.readexactly(2)  # "ok"
                status = int(head.split()[1])
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                if conn is not None:
                    conn[1].close()
                conn = None
                seen.reconnects += 1
        seen.latencies.append(time.monotonic() - started)
        seen.statuses.append(status)
        await asyncio.sleep(0.25)
    if conn is not None:
        conn[1].close()


async def slow_client(port: int, stop: float, seen: Seen) -> None:
    while time.monotonic() < stop:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            while time.monotonic() < stop:
                await asyncio.sleep(0.3)
                writer.write(b"a")
                await writer.drain()
        except OSError:
            seen.slow_cut += 1
        finally:
            writer.close()


async def flood_client(port: int, stop: float, seen: Seen) -> None:
    chunk = b"z" * 16384
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Huge: ")
            for _ in range(32):  # 512 KB, never ending the line
                writer.write(chunk)
                await writer.drain()
            line = await asyncio.wait_for(reader.readline(), 5)
            if line.split()[1:2] == [b"431"]:
                seen.refused_431 += 1
        except (TimeoutError, OSError, IndexError):
            if not reader.at_eof():
                continue
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                line = await asyncio.wait_for(reader.readline(), 1)
                if line.split()[1:2] == [b"431"]:
                    seen.refused_431 += 1
        finally:
            writer.close()


async def sample_rss(pid: int, stop: float, seen: Seen) -> None:
    while time.monotonic() < stop + 1:
        seen.peak_rss = max(seen.peak_rss, rss_mb(pid))
        await asyncio.sleep(0.1)


async def warm_up(port: int) -> None:
    for _ in range(50):
        assert await asyncio.wait_for(ask(port), 30) == 200


async def storm(pid: int, port: int) -> Seen:
    seen = Seen()
    stop = time.monotonic() + SECONDS
    await asyncio.gather(normal_client(port, stop, seen), kept_alive_client(port, stop, seen),
                         sample_rss(pid, stop, seen),
                         *[slow_client(port, stop, seen) for _ in range(SLOW)],
                         *[flood_client(port, stop, seen) for _ in range(FLOOD)])
    return seen


def test_slow_and_greedy_clients_do_not_starve_a_normal_one(tmp_path: Path) -> None:
    cfg = tmp_path / "gatepost.yaml"
    cfg.write_text(CONFIG)
    with serve_process(cfg, stdout=subprocess.DEVNULL) as (proc, port):
        pid = proc.pid
        wait_http(f"http://127.0.0.1:{port}/_gatepost/ready", timeout=30)
        asyncio.run(warm_up(port))
        start_rss = rss_mb(pid)
        seen = asyncio.run(storm(pid, port))
    assert seen.statuses and set(seen.statuses) == {200}, seen.statuses
    assert max(seen.latencies) < BOUND, max(seen.latencies)
    assert seen.refused_431 > 0
    assert seen.slow_cut > 0  # the head deadline did cut the tricklers
    assert seen.peak_rss - start_rss < RSS_GROWTH_MB, (start_rss, seen.peak_rss)
    print(f"normal answers {len(seen.statuses)}, slowest {max(seen.latencies):.2f} s; 431s {seen.refused_431}; "
          f"slow cut {seen.slow_cut}; kept-alive reconnects {seen.reconnects}; "
          f"RSS {start_rss:.1f} -> peak {seen.peak_rss:.1f} MB")
