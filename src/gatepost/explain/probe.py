"""`gatepost probe`: send the planned attempts (probe_plan.py) to a running gateway and judge them.

A route passes when every attempt is refused with a 4xx and its integration was not called (the
gateway's `/_gatepost/integration-calls`, read before and after each route's attempts). A 2xx/3xx or an
integration call is a failure; a 5xx (or no answer) is a finding: the route is closed, but misconfigured.
The Web ACL rules that matched the route's attempts (the same endpoint's `waf` counts) are reported too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from gatepost.explain.load import Loaded
from gatepost.explain.probe_plan import Attempt, ProbeOptions, RoutePlan, plan

COUNTS_PATH = "/_gatepost/integration-calls"
HEALTH_PATH = "/_gatepost/health"
PASS, FAIL, FINDING, SKIPPED = "pass", "FAIL", "finding", "skipped"


@dataclass
class AttemptResult:
    name: str
    method: str
    status: int | None
    verdict: str
    detail: str = ""


@dataclass
class RouteResult:
    api: str
    route: str
    path: str
    attempts: list[AttemptResult] = field(default_factory=list)
    integration_calls: int | None = None  # None: the gateway's counts could not be read
    waf_rules: dict[str, int] = field(default_factory=dict)  # "acl/rule" -> attempts it matched

    @property
    def verdict(self) -> str:
        verdicts = {a.verdict for a in self.attempts}
        if FAIL in verdicts or (self.integration_calls or 0) > 0:
            return FAIL
        return FINDING if FINDING in verdicts else PASS

    def as_dict(self) -> dict[str, Any]:
        return {"api": self.api, "route": self.route, "path": self.path, "verdict": self.verdict,
                "integration_calls": self.integration_calls, "waf_rules": self.waf_rules,
                "attempts": [a.__dict__ for a in self.attempts]}


def judge(status: int | None) -> tuple[str, str]:
    if status is None:
        return FINDING, "no answer"
    if status < 400:
        return FAIL, f"answered {status}: the request was let through"
    if status >= 500:
        return FINDING, f"answered {status}: refused, but the route or its authorizer is misconfigured"
    return PASS, ""


class Counts:
    """Reads the gateway's integration-call counts; `None` when they are not available."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.url = base_url.rstrip("/") + COUNTS_PATH
        self.workers = 1
        self.flush_interval = 0.0
        self.problem = ""
        self.waf: dict[str, dict[str, int]] = {}  # the last reading's Web ACL rule hits

    async def read(self) -> dict[str, dict[str, int]] | None:
        try:
            async with self.session.get(self.url) as resp:
                if resp.status != 200:
                    self.problem = f"{COUNTS_PATH} answered {resp.status} (it serves loopback callers only)"
                    return None
                data = await resp.json()
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            self.problem = f"{COUNTS_PATH} unreadable: {exc}"
            return None
        self.workers = int(data.get("workers", 1))
        self.flush_interval = float(data.get("flush_interval", 0.0))
        self.waf = data.get("waf", {})
        apis: dict[str, dict[str, int]] = data.get("apis", {})
        return apis

    async def settle(self) -> None:
        """With several workers, wait until every worker has written its counts."""
        if self.workers > 1:
            await asyncio.sleep(self.flush_interval * 2 + 0.05)


async def send(session: aiohttp.ClientSession, base_url: str, a: Attempt) -> int | None:
    url = base_url.rstrip("/") + a.path + (f"?{a.query}" if a.query else "")
    try:
        async with session.request(a.method, url, headers=a.headers, allow_redirects=False,
                                   data=b"" if a.method in ("POST", "PUT", "PATCH") else None) as resp:
            await resp.read()
            return resp.status
    except (aiohttp.ClientError, OSError, TimeoutError):
        return None


def _delta(before: dict[str, dict[str, int]] | None, after: dict[str, dict[str, int]] | None,
           api: str, keys: set[str]) -> int | None:
    if before is None or after is None:
        return None
    return sum(after.get(api, {}).get(k, 0) - before.get(api, {}).get(k, 0) for k in keys)


async def probe_route(session: aiohttp.ClientSession, base_url: str, rp: RoutePlan, counts: Counts) -> RouteResult:
    result = RouteResult(rp.api.name, rp.route.route_key, rp.attempts[0].path if rp.attempts else "")
    before = await counts.read()
    waf_before = counts.waf
    keys = {rp.route.route_key}
    for a in rp.attempts:
        if a.skipped:
            result.attempts.append(AttemptResult(a.name, a.method, None, SKIPPED, a.skipped))
            continue
        keys.update(a.also_counts)
        status = await send(session, base_url, a)
        verdict, detail = judge(status)
        result.attempts.append(AttemptResult(a.name, a.method, status, verdict, detail))
    await counts.settle()
    result.integration_calls = _delta(before, await counts.read(), rp.api.name, keys)
    result.waf_rules = _fired(waf_before, counts.waf)
    return result


def _fired(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, int]:
    out = {}
    for acl, rules in after.items():
        for rule, n in rules.items():
            delta = n - before.get(acl, {}).get(rule, 0)
            if delta > 0:
                out[f"{acl}/{rule}"] = delta
    return out


class Unreachable(Exception):
    """The gateway does not answer at all: nothing was probed."""


async def run_probe(loaded: Loaded, base_url: str, options: ProbeOptions,
                    timeout: float = 10.0) -> tuple[list[RouteResult], str]:
    """(results, a problem reading the counts or ""). Raises Unreachable when nothing answers at base_url."""
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout, auto_decompress=False) as session:
        try:
            async with session.get(base_url.rstrip("/") + HEALTH_PATH) as resp:
                await resp.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise Unreachable(f"{base_url} does not answer: {exc}") from None
        counts = Counts(session, base_url)
        results = [await probe_route(session, base_url, rp, counts) for rp in plan(loaded, base_url, options)]
    return results, counts.problem


def render(results: list[RouteResult], counts_problem: str) -> str:
    lines = []
    for r in results:
        calls = "?" if r.integration_calls is None else str(r.integration_calls)
        lines.append(f"{r.verdict.upper():8} {r.api}  {r.route}  ({r.path}; integration calls: {calls})")
        for a in r.attempts:
            status = "-" if a.status is None else str(a.status)
            lines.append(f"    {a.verdict:8} {a.name:16} {a.method:7} {status:4} {a.detail}".rstrip())
        if r.integration_calls:
            lines.append(f"    FAIL     the integration was called {r.integration_calls} time(s)")
        if r.waf_rules:
            fired = ", ".join(f"{rule} x{n}" for rule, n in sorted(r.waf_rules.items()))
            lines.append(f"    waf      rules fired: {fired}")
    if counts_problem:
        lines.append(f"warning: integration calls not checked: {counts_problem}")
    totals = {v: sum(1 for r in results if r.verdict == v) for v in (FAIL, FINDING, PASS)}
    lines.append(f"{len(results)} route(s): {totals[FAIL]} failed, {totals[FINDING]} with findings, "
                 f"{totals[PASS]} passed")
    return "\n".join(lines) + "\n"
