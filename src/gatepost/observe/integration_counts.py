"""Integration calls per route, summed across worker processes: the evidence `gatepost probe` reads.

The pipeline does one dict increment per request that reaches its integration
(`gateway.integration_calls[route] += 1`, right before `integration.send`). This module turns that dict
into `GET /_gatepost/integration-calls` (loopback callers only):

    {"workers": 2, "flush_interval": 0.2, "apis": {"payments": {"GET /me": 3, ...}},
     "waf": {"shared": {"BadBots": 2, "Default_Action": 1}}}

`waf` (present when an API has a Web ACL) counts the requests each Web ACL rule matched, the same way.

One worker: the answer is the in-process dict. Several workers (`--workers N`): every worker writes its
own totals (absolute, keyed by its pid) to a small shared SQLite file every 0.2 s from a background task,
in a thread, off the event loop; the endpoint sums every worker's rows, so any worker answers for all.
The file is `$TMPDIR/gatepost/integration-calls-{run}.db`, where `run` is `$GATEPOST_RUN_ID` or the pid
of the supervising `gatepost serve` process (the workers' parent). Counts are since the gateway
started; callers compare two readings.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from gatepost.closing import cancel_and_wait
from gatepost.observe.shared_file import connect_shared, run_file
from gatepost.response import Response, json_response

if TYPE_CHECKING:
    from gatepost.gateway import Gateway
    from gatepost.request import GatewayRequest

log = logging.getLogger("gatepost.observe")

FLUSH_INTERVAL = 0.2
ENDPOINT = "integration-calls"
Totals = dict[tuple[str, str], int]
WAF_PREFIX = "waf:"  # totals keyed ("waf:{acl}", rule) are Web ACL rule hits

_SCHEMA = ("CREATE TABLE IF NOT EXISTS calls (worker INTEGER NOT NULL, api TEXT NOT NULL, route TEXT NOT NULL, "
           "n INTEGER NOT NULL, PRIMARY KEY (worker, api, route)) WITHOUT ROWID")


def shared_file() -> Path:
    return run_file("integration-calls")


def _connect(path: Path) -> sqlite3.Connection:
    return connect_shared(path, _SCHEMA)


def write_totals(path: Path, worker: int, totals: Totals) -> None:
    conn = _connect(path)
    try:
        conn.executemany("INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)",
                         [(worker, api, route, n) for (api, route), n in totals.items()])
    finally:
        conn.close()


def read_totals(path: Path) -> Totals:
    conn = _connect(path)
    try:
        rows = conn.execute("SELECT api, route, SUM(n) FROM calls GROUP BY api, route").fetchall()
    finally:
        conn.close()
    return {(api, route): int(n) for api, route, n in rows}


def _loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


class IntegrationCalls:
    """Owns the flush task of one worker and answers the endpoint."""

    def __init__(self, gateway: Gateway, path: Path | None = None) -> None:
        self.gw = gateway
        self.shared = gateway.services.workers > 1
        self.path = path or shared_file()
        self.worker = os.getpid()
        self._names = {id(r): (api.name, r.route_key) for api in gateway.apis for r in api.routes}
        self._written: Totals = {}
        self._task: asyncio.Task[None] | None = None

    def totals(self) -> Totals:
        out: Totals = {}
        for route, n in list(self.gw.integration_calls.items()):
            key = self._names.get(id(route))
            if key is not None:
                out[key] = out.get(key, 0) + n
        for gate in {id(a.web_acl): a.web_acl for a in self.gw.apis}.values():
            for rule, n in gate.fired().items():
                out[(WAF_PREFIX + gate.name, rule)] = n
        return out

    async def start(self) -> None:
        if self.shared and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None
            await self._flush_logged()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            await self._flush_logged()

    async def _flush_logged(self) -> None:
        """A flush that failed is logged; the next one writes the totals again (they are absolute)."""
        try:
            await self.flush()
        except (sqlite3.Error, OSError) as exc:
            log.warning("integration_calls.flush_failed error=%s", exc)

    async def flush(self) -> None:
        totals = self.totals()
        if totals != self._written:
            await asyncio.to_thread(write_totals, self.path, self.worker, totals)
            self._written = totals

    async def summed(self) -> Totals:
        if not self.shared:
            return self.totals()
        await self.flush()
        return await asyncio.to_thread(read_totals, self.path)

    async def handle(self, req: GatewayRequest) -> Response:
        if not _loopback(req.peer_ip):
            return json_response(403, {"message": "Forbidden"})
        try:
            totals = await self.summed()
        except (sqlite3.Error, OSError) as exc:
            log.warning("integration_calls.read_failed error=%s", exc)
            return json_response(503, {"message": "integration counts unavailable"})
        apis: dict[str, dict[str, int]] = {api.name: {r.route_key: 0 for r in api.routes} for api in self.gw.apis}
        waf: dict[str, dict[str, int]] = {a.web_acl.name: {} for a in self.gw.apis if a.web_acl.name}
        for (api_name, route), n in totals.items():
            if api_name.startswith(WAF_PREFIX):
                waf.setdefault(api_name[len(WAF_PREFIX):], {})[route] = n
            else:
                apis.setdefault(api_name, {})[route] = n
        body: dict[str, object] = {"workers": self.gw.services.workers, "flush_interval": FLUSH_INTERVAL,
                                   "apis": apis}
        if waf:
            body["waf"] = waf
        return json_response(200, body)
