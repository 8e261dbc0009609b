"""Instructions per proxied request of a real `gatepost serve`, counted by valgrind (callgrind): a measure
that does not move with the machine's load, for comparing two checkouts on a shared, noisy machine.

    .venv/bin/python bench/instructions.py [--against ../base] [--requests 10000] [--connections 10] [--bearer]

The gateway runs under `valgrind --tool=callgrind` with counting off; a client (this process, outside
valgrind) opens `--connections` kept-alive connections, warms up with 2,000 requests, then counting is
switched on (`callgrind_control -i on`), `--requests` requests go out (one on each connection, then every
answer read, in rounds), and counting is switched off. The upstream is a small asyncio server in this
process answering an nginx-shaped 200. The figure is the gateway's user-space instructions over the
measured requests divided by their number: the Python, uvloop and llhttp work of the whole proxied request
(server protocol, head rules, pipeline, upstream client), not the kernel's (the same syscalls either way:
two reads and two writes per request; `strace -c -f -p PID` shows it). Both checkouts run at the same time.

It is not time: a Python build's instructions per µs vary (about 4.8k per µs on this VM's non-PGO
CPython 3.11), and cache misses are not counted. Read it beside `bench/ab.py`, which measures CPU time.
Needs valgrind (`apt-get install -y valgrind`); each checkout takes a few minutes (the gateway starts under
valgrind).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from procs import free_port  # noqa: E402

REPO = HERE.parent
ANSWER = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 16:00:00 GMT\r\n"
          b"Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
BEARER = "Authorization: Bearer " + "x" * 653 + "\r\n"  # the bench's 660-byte header
WARM_UP = 2000


class _Upstream(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            _, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self.transport.write(ANSWER)


def start_upstream() -> int:
    port = free_port()
    ready = threading.Event()

    def serve() -> None:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(loop.create_server(_Upstream, "127.0.0.1", port))
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    ready.wait(10)
    return port


def config(upstream: int) -> str:
    return f"""
server: {{access_log: "off"}}
apis:
  bench:
    routes:
      - {{route: "GET /public", public: true}}
    integration: {{http: "http://127.0.0.1:{upstream}"}}
"""


def connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=60)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def rounds(socks: list[socket.socket], request: bytes, n: int) -> None:
    for _ in range(n):
        for s in socks:
            s.sendall(request)
        for s in socks:
            buf = b""
            while not buf.endswith(b"\r\n\r\nok"):
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("the gateway closed the connection")
                buf += chunk
            if not buf.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"the gateway answered {buf[:60]!r}")


def measure(checkout: Path, upstream: int, args: argparse.Namespace, tmp: Path) -> float:
    """Instructions per request of one checkout's gateway."""
    conf = tmp / "gatepost.yaml"
    conf.write_text(config(upstream))
    port = free_port()
    log = tmp / "callgrind.log"
    with log.open("w") as err:
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                 f"--callgrind-out-file={tmp / 'callgrind.out'}",
                                 str(checkout / ".venv/bin/python"), "-m", "gatepost", "serve", str(conf),
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=err, cwd=tmp)
    try:
        connect(port, time.time() + 600).close()
        socks = [connect(port, time.time() + 60) for _ in range(args.connections)]
        request = (f"GET /public HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: wrk\r\nAccept: */*\r\n"
                   f"{BEARER if args.bearer else ''}\r\n").encode()
        rounds(socks, request, WARM_UP // args.connections)
        time.sleep(1)
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], capture_output=True, check=True)
        time.sleep(1)
        rounds(socks, request, args.requests // args.connections)
        time.sleep(1)
        subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], capture_output=True, check=True)
        for s in socks:
            s.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    refs = [line for line in log.read_text().splitlines() if "refs:" in line]
    if not refs:
        raise RuntimeError(f"no instruction count in {log}")
    return int(refs[-1].split(":")[1].replace(",", "").strip()) / (args.requests // args.connections * args.connections)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", type=Path, help="another checkout with its own .venv, measured at the same time")
    p.add_argument("--requests", type=int, default=10000)
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--bearer", action="store_true", help="each request carries the bench's 660-byte bearer header")
    args = p.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"{tool} is missing: apt-get install -y valgrind", file=sys.stderr)
            return 2
    checkouts = [REPO] + ([args.against.resolve()] if args.against else [])
    upstream = start_upstream()
    with tempfile.TemporaryDirectory(prefix="gatepost-instr-") as t, ThreadPoolExecutor(len(checkouts)) as pool:
        dirs = [Path(t) / str(i) for i in range(len(checkouts))]
        for d in dirs:
            d.mkdir()
        counts = list(pool.map(lambda cd: measure(cd[0], upstream, args, cd[1]), zip(checkouts, dirs, strict=True)))
    row = "public route" + (" + 660 B bearer header" if args.bearer else "")
    print(f"\ninstructions per request ({args.requests} requests over {args.connections} connections)\n")
    print("| row | checkout | instructions |\n|---|---|---:|")
    for checkout, count in zip(checkouts, counts, strict=True):
        print(f"| {row} | {checkout} | {count:,.0f} |")
    if len(counts) == 2:
        print(f"| {row} | difference | {counts[0] - counts[1]:+,.0f} ({(counts[0] / counts[1] - 1) * 100:+.1f} %) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
