"""In-process cost per route kind, without sockets: the bench's scenarios compiled into one gateway whose
routes answer from a mock integration, and `pipeline.serve` called in a loop on pre-built requests.

    .venv/bin/python bench/micro.py [--only JWT,SigV4] [--requests 20000] [--rounds 5]

`--wire` feeds each request as bytes through the native server's protocol (llhttp, the request head's
checks, the pipeline, the answer's encoding) on a stand-in transport: the server's own share, still
without sockets. `--proxy` (with `--wire`) keeps the routes' http integration and answers it from a
stand-in upstream connection (an nginx-shaped 200 fed back through the upstream client's own protocol on
the next loop turn): the whole proxied request's Python and event-loop cost, without the kernel's.

`--tracing propagate` adds `tracing: {}` (W3C ids, traceparent to the integration, nothing exported);
`--tracing otlp` exports every request's spans to a real OTLP/HTTP receiver started on loopback in another
process (`python -m oteltap`, from the test extra). Both need `--wire` (tracing starts in the server's
app), and the CPU counted is the whole process's, the exporter's thread included.

What it shows is the pipeline's own CPU per request (routing, authorizer, policy, usage gate,
propagation, the mock answer); the HTTP rows of bench/run.py add the server and the upstream round trip.
The difference between a scenario and the public route is its authorizer's in-situ cost. Run it pinned
(`taskset -c 0`) for steadier figures; the median of the rounds is printed.

`--callgrind` counts instead of timing alone (deterministic, whatever the machine's load): from a scratch
directory, `valgrind --tool=callgrind --instr-atstart=no .venv/bin/python ../gatepost/bench/micro.py --wire
--proxy --callgrind --requests 4000 --rounds 1 --only fresh`. Each row's measured rounds go to their own dump
(`callgrind.out.N`) and its instructions per request are printed; `callgrind_annotate --inclusive=yes
callgrind.out.N` says where they go. Set-up (minting 4,000 tokens) runs under valgrind too: minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import cProfile  # noqa: E402  (before bench/ is on the path: bench/profile.py would shadow the stdlib's)
import pstats  # noqa: E402

sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402
from context import Context  # noqa: E402
from scenarios import SCENARIOS, Scenario  # noqa: E402

from gatepost.bootstrap import build_gateway  # noqa: E402
from gatepost.pipeline import serve  # noqa: E402
from gatepost.request import GatewayRequest  # noqa: E402

HOST = "127.0.0.1:8080"
MOCK = "{mock: {status: 200, body: ok}}"


def requests_of(sc: Scenario) -> list[GatewayRequest]:
    variants = sc.requests or [(sc.path, sc.headers)]
    out = []
    for target, headers in variants:
        parts = urlsplit(target)
        hdrs = (("host", HOST), *((k.lower(), v) for k, v in {**sc.headers, **headers}.items()))
        out.append(GatewayRequest(method=sc.method, path=parts.path, query_string=parts.query, headers=hdrs,
                                  request_id="bench", received_at=time.time()))
    return out


async def cost(gw: object, reqs: list[GatewayRequest], n: int) -> tuple[float, set[int]]:
    statuses: set[int] = set()
    k = len(reqs)
    start = time.process_time()
    for i in range(n):
        response, _ = await serve(gw, reqs[i % k])  # type: ignore[arg-type]
        statuses.add(response.status)
    return (time.process_time() - start) / n * 1e6, statuses


class _Transport:
    """A stand-in for the socket: `write` wakes whoever waits for the answer."""

    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None
        self.last = b""

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 40000) if name == "peername" else ("127.0.0.1", 8080) if name == "sockname" else default

    def write(self, data: bytes) -> None:
        self.last = data
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def wire_bytes(sc: Scenario) -> list[bytes]:
    """The scenario's requests as a typical client sends them (wrk's Host plus a few common headers)."""
    out = []
    for req in requests_of(sc):
        target = req.path + (f"?{req.query_string}" if req.query_string else "")
        lines = [f"{req.method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in req.headers),
                 "user-agent: bench/1.0", "accept: */*", "accept-encoding: gzip, deflate"]
        out.append(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    return out


async def wire_cost(proto: object, transport: _Transport, reqs: list[bytes], n: int) -> tuple[float, set[int]]:
    statuses: set[int] = set()
    k = len(reqs)
    loop = asyncio.get_running_loop()
    start = time.process_time()
    for i in range(n):
        transport.waiter = loop.create_future()
        proto.data_received(reqs[i % k])  # type: ignore[attr-defined]
        await transport.waiter
        statuses.add(int(transport.last[9:12]))
    return (time.process_time() - start) / n * 1e6, statuses


UPSTREAM_ANSWER = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 16:00:00 GMT\r\n"
                   b"Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")


class _UpstreamTransport(_Transport):
    """A stand-in for the upstream's socket: each request written is answered on the loop's next turn."""

    def __init__(self, conn: object) -> None:
        super().__init__()
        self.conn = conn
        self.loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        self.loop.call_soon(self.conn.data_received, UPSTREAM_ANSWER)  # type: ignore[attr-defined]

    def writelines(self, data: object) -> None:
        self.write(b"")

    def get_write_buffer_size(self) -> int:
        return 0


STAND_IN_PORT = 9  # the routes' upstream in the micro's config (http://127.0.0.1:9): answered in process


def stand_in_loop() -> asyncio.AbstractEventLoop:
    """uvloop, as the server runs, whose `create_connection` answers with the upstream client's own connection
    on `_UpstreamTransport` (no socket, no upstream process). The loop is replaced rather than the pool's
    method: the upstream client is compiled (mypyc), and its classes cannot be patched."""
    import uvloop

    class StandInLoop(uvloop.Loop):  # type: ignore[misc]
        async def create_connection(self, protocol_factory: Any, host: Any = None, port: Any = None,
                                    **kwargs: Any) -> Any:
            if port != STAND_IN_PORT:  # anything else (a JWKS fetch from the local issuer) is real
                return await super().create_connection(protocol_factory, host, port, **kwargs)
            conn = protocol_factory()
            conn.connection_made(_UpstreamTransport(conn))
            return None, conn

    return StandInLoop()  # type: ignore[no-any-return]


class _Listener:
    """A stand-in for server/listener.py's NativeServer: limits from the config, room for every connection."""

    def __init__(self, gw: object) -> None:
        from gatepost.server.limits import ServerLimits

        self.loop = asyncio.get_running_loop()
        self.connections: set[object] = set()
        self.draining = False
        self.waiting_for_room = False
        self.limits = ServerLimits.of(gw.config.server)  # type: ignore[attr-defined]

    def opened(self, conn: object) -> None:
        self.connections.add(conn)

    def closed(self, conn: object) -> None:
        self.connections.discard(conn)

    def reclaim(self, conn: object) -> bool:
        return False


def wire_protocol(gw: object) -> tuple[object, _Transport]:
    from gatepost.observe.access_log import AccessLog
    from gatepost.server.app import GatewayApp
    from gatepost.server.native import HttpProtocol

    app = GatewayApp(gw, AccessLog("off"))  # type: ignore[arg-type]  (the access log is bench/run.py's concern)
    proto = HttpProtocol(_Listener(gw), app, "http")  # type: ignore[arg-type]
    transport = _Transport()
    proto.connection_made(transport)  # type: ignore[arg-type]
    return proto, transport


async def profile(gw: object, reqs: list[GatewayRequest], n: int, name: str) -> None:
    """cProfile's view of the same loop (its overhead inflates small functions: read it for shares)."""
    prof = cProfile.Profile()
    prof.enable()
    await cost(gw, reqs, n)
    prof.disable()
    print(f"--- {name}")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


async def measure(conf: Path, scenarios: list[Scenario], args: argparse.Namespace, ctx: Context) -> None:
    gw = build_gateway(conf)
    await gw.start()
    try:
        await asyncio.sleep(1.5)  # JWKS fetched, catalog snapshots loaded
        for sc in scenarios:
            if sc.prepare:
                sc.prepare(ctx, sc, f"http://{HOST}")
                await asyncio.sleep(1.5)  # the IAM caller minted by prepare reaches the directory snapshot
            reqs = requests_of(sc)
            await cost(gw, reqs, min(args.requests, 2000))  # warm-up (caches, first verifications)
            if args.profile:
                await profile(gw, reqs, args.requests, sc.name)
                continue
            if args.wire:
                proto, transport = wire_protocol(gw)
                raw = wire_bytes(sc)
                await wire_cost(proto, transport, raw, min(args.requests, 2000))
                counting = Callgrind(sc.name) if args.callgrind else None
                rounds = [await wire_cost(proto, transport, raw, args.requests) for _ in range(args.rounds)]
                if counting is not None:
                    print(f"{counting.stop() / (args.requests * args.rounds):9,.0f} instructions per request  "
                          f"{sc.name}  (callgrind, dump {counting.dump})", flush=True)
                proto.connection_lost(None)  # type: ignore[attr-defined]
                await asyncio.sleep(0)  # its answering task ends
            else:
                rounds = [await cost(gw, reqs, args.requests) for _ in range(args.rounds)]
            statuses = set().union(*(r[1] for r in rounds))
            pick = min if args.min else statistics.median
            print(f"{pick(r[0] for r in rounds):7.1f} µs  {sc.name}  (statuses {sorted(statuses)})",
                  flush=True)
    finally:
        await gw.close()


class Callgrind:
    """`--callgrind`: this process runs under `valgrind --tool=callgrind --instr-atstart=no`; count one row's
    measured rounds only (not its set-up or warm-up), then dump them to their own file and read the total."""

    def __init__(self, name: str) -> None:
        self.pid = str(os.getpid())
        self.before = set(Path.cwd().glob("callgrind.out*"))
        subprocess.run(["callgrind_control", "-i", "on", self.pid], capture_output=True, check=True)
        self.dump = ""

    def stop(self) -> int:
        subprocess.run(["callgrind_control", "-i", "off", self.pid], capture_output=True, check=True)
        subprocess.run(["callgrind_control", "-d", self.pid], capture_output=True, check=True)
        new = sorted(set(Path.cwd().glob("callgrind.out*")) - self.before, key=lambda f: f.stat().st_mtime)
        if not new:
            raise SystemExit("--callgrind: no dump in the current directory (run from it, under valgrind: see --help)")
        self.dump = new[-1].name
        totals = [line for line in new[-1].read_text().splitlines() if line.startswith("totals:")]
        return int(totals[0].split()[1])


def tracing_section(mode: str, ratio: float, ctx: Context) -> str:
    """The config's `tracing:` for `--tracing`; otlp starts a receiver that `ctx.close()` stops."""
    if mode == "off":
        return ""
    if mode == "propagate":
        return f"tracing: {{sample_ratio: {ratio}}}\n"
    port = ctx.port("otlp")
    ctx.spawn("oteltap", [sys.executable, "-m", "oteltap", "--port", str(port)], port)
    return f'tracing: {{exporter: otlp, endpoint: "http://127.0.0.1:{port}", sample_ratio: {ratio}}}\n'


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="scenario names (substring, comma-separated)")
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min", action="store_true",
                   help="print the least of the rounds, not the median (on a busy machine: the least disturbed)")
    p.add_argument("--profile", action="store_true", help="print cProfile's top functions instead of timings")
    p.add_argument("--wire", action="store_true", help="through the native server's protocol, from raw bytes")
    p.add_argument("--tracing", choices=["off", "propagate", "otlp"], default="off",
                   help="with --wire: tracing on, without or with an OTLP export (docs/operations.md, Tracing)")
    p.add_argument("--proxy", action="store_true",
                   help="with --wire: the http integration, answered by a stand-in upstream connection")
    p.add_argument("--sample-ratio", type=float, default=1.0, help="with --tracing: tracing.sample_ratio")
    p.add_argument("--callgrind", action="store_true",
                   help="with --wire: also print each row's instructions per request, running under "
                        "`valgrind --tool=callgrind --instr-atstart=no` (one dump per row in the current "
                        "directory, for callgrind_annotate)")
    args = p.parse_args()
    if args.callgrind and not (args.wire or args.proxy):
        p.error("--callgrind needs --wire")
    if args.tracing != "off" and not (args.wire or args.proxy):
        p.error("--tracing needs --wire: a request's trace starts in the server's app, not in pipeline.serve")
    with tempfile.TemporaryDirectory(prefix="gatepost-micro-") as t:
        ctx = Context(Path(t))
        try:
            scenarios = [f(ctx) for f in SCENARIOS]
            scenarios = [s for s in scenarios if not s.mix and not s.gateway]
            if args.only:
                wanted = [w.strip() for w in args.only.split(",")]
                scenarios = [s for s in scenarios
                             if any(w in s.name for w in wanted) or s.name.endswith("public route")]
            conf = ctx.tmp / "gatepost-micro.yaml"
            text = bench.gateway_config(STAND_IN_PORT, scenarios)
            conf.write_text(tracing_section(args.tracing, args.sample_ratio, ctx) +
                            (text if args.proxy else text.replace('{http: "http://127.0.0.1:9"}', MOCK)))
            if args.proxy:
                args.wire = True
            ctx.config = conf
            for sc in scenarios:
                if sc.setup:
                    sc.setup(ctx, sc)
            if args.wire:
                from gatepost.server.run import new_loop

                new_loop()  # uvloop, as the server runs
            with asyncio.Runner(loop_factory=stand_in_loop if args.proxy else None) as runner:
                runner.run(measure(conf, scenarios, args, ctx))
        finally:
            ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
