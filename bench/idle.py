"""Idle keep-alive connections held by one gateway process, and what they cost it (issue 22 item 2).

    .venv/bin/python bench/idle.py [--connections 10000] [--hold 10]

Starts one gateway (one worker, pinned to core 0) serving a public mock route, with `server:
max_connections` raised above `--connections` and `idle_timeout` above the hold (the defaults, 1,024 and
30 s, would refuse or close them: docs/security.md). The client (this process, core 1) opens the
connections in batches, sends one request on each (a connection must send its first head within
`head_timeout`; after an answer it is a kept-alive, idle one) and reads the answer, then holds them all
open for `--hold` seconds without a byte, then sends one more request on every one of them: all must be
answered on the same connection. Printed: the gateway's resident memory (VmRSS) before and with the
connections, per connection, and the CPU it spent while they sat idle. Loopback only, bounded in count
and time; the open-file limit (`ulimit -n`) of both processes must exceed `--connections` (raised to
the hard limit here when it is lower).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from procs import cpu_seconds, free_port, start, stop, taskset  # noqa: E402

REPO = HERE.parent
REQUEST = b"GET /idle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def config(connections: int, hold: float) -> str:
    return f"""
server: {{access_log: "off", max_connections: {connections + 100}, idle_timeout: {hold + 60}}}
state: {{catalog: "sqlite:///idle.db"}}
apis:
  idle:
    routes:
      - {{route: "GET /idle", public: true, integration: {{mock: {{status: 200, body: ok}}}}}}
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def raise_open_files(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = min(hard, needed) if hard != resource.RLIM_INFINITY else needed
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


async def answered(reader: asyncio.StreamReader) -> bool:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def open_one(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST)
    if not await answered(reader):
        raise RuntimeError("the first request on a connection was not answered 200")
    return reader, writer


async def exercise(port: int, pid: int, args: argparse.Namespace) -> None:
    rss0 = rss_kib(pid)
    conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    began = time.monotonic()
    while len(conns) < args.connections:
        batch = min(args.batch, args.connections - len(conns))
        conns += await asyncio.gather(*(open_one(port) for _ in range(batch)))
    opened = time.monotonic() - began
    await asyncio.sleep(1)  # the gateway settles (its per-connection state allocated, garbage collected)
    rss1 = rss_kib(pid)
    cpu0 = cpu_seconds(pid)
    await asyncio.sleep(args.hold)
    idle_cpu = cpu_seconds(pid) - cpu0
    rss2 = rss_kib(pid)

    async def again(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(REQUEST)
        return await answered(reader)

    ok = 0
    for i in range(0, len(conns), args.batch):
        ok += sum(await asyncio.gather(*(again(r, w) for r, w in conns[i:i + args.batch])))
    for _, writer in conns:
        writer.close()
    per_conn = (rss2 - rss0) / max(1, args.connections)
    print(f"\n{args.connections:,} idle keep-alive connections, one gateway process (pinned to core 0), "
          f"held {args.hold:.0f} s\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| connections opened (one request each) | {len(conns):,} in {opened:.1f} s |")
    print(f"| gateway RSS before | {rss0 / 1024:.1f} MiB |")
    print(f"| gateway RSS holding them (after 1 s) | {rss1 / 1024:.1f} MiB |")
    print(f"| gateway RSS after {args.hold:.0f} s idle | {rss2 / 1024:.1f} MiB |")
    print(f"| memory per idle connection | {per_conn:.1f} KiB |")
    print(f"| gateway CPU while they sat idle | {idle_cpu * 1000:.0f} ms over {args.hold:.0f} s |")
    print(f"| answered again on the same connection after the hold | {ok:,} / {len(conns):,} |")
    if ok != len(conns):
        raise SystemExit("some held connections were closed or not answered")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", type=int, default=10_000)
    p.add_argument("--hold", type=float, default=10.0, help="seconds the connections sit idle (default 10)")
    p.add_argument("--batch", type=int, default=500, help="connections opened at once (default 500)")
    args = p.parse_args()
    limit = raise_open_files(args.connections + 200)  # inherited by the gateway
    if limit < args.connections + 200:
        print(f"ulimit -n is {limit}: at most {limit - 200} connections", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="gatepost-idle-") as t:
        tmp = Path(t)
        conf = tmp / "gatepost-idle.yaml"
        conf.write_text(config(args.connections, args.hold))
        port = free_port()
        gw = start([*taskset(0), str(REPO / ".venv/bin/gatepost"), "serve", str(conf), "--port", str(port)], tmp, port,
                   name="idle")
        try:
            if (os.cpu_count() or 1) > 1:
                os.sched_setaffinity(0, {1})  # the client on core 1, as the other benches' load generator
            asyncio.run(exercise(port, gw.pid, args))
        finally:
            stop(gw)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
