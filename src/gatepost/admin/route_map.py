"""The route map: one read-only HTML page on the admin port (`GET /admin/map`, action `gatepost:GetRouteMap`)
drawing every API's routes as a path tree, each with how a caller gets in (`gatepost explain`'s row), the
findings `gatepost audit` has about it, and its requests so far by outcome (the metrics, summed across
workers). Rendered here, server-side; the only script is the auto-refresh (`?refresh=SECONDS`, 0: off),
allowed by its hash in the page's Content-Security-Policy. Every value from the config is escaped.

Browsers cannot sign with SigV4 or send a bearer token on a navigation: the page also accepts the admin
token as the password of HTTP Basic authentication (any user name), and asks for it (401 with
`WWW-Authenticate: Basic`) when a request comes without credentials.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from html import escape
from typing import Any, Protocol

from aiohttp import web

from gatepost.explain.audit import audit
from gatepost.explain.explain import Row, explain
from gatepost.explain.finding import Finding, rank
from gatepost.explain.load import Loaded
from gatepost.observe.metrics import WorkerMetrics

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminServer(Protocol):
    """What the page needs of admin/server.py's AdminServer (a Protocol: server.py imports this module)."""

    gw: Any
    metrics: WorkerMetrics

    def guard(self, action: str, handler: Handler) -> Handler: ...

ACTION = "GetRouteMap"
OUTCOMES = ("allowed", "refused", "throttled", "failed")  # < 400, other 4xx, 429, 5xx
NO_ROUTE = "-"  # the metrics' route label when no route matched
REFRESH_DEFAULT = 10
_SCRIPT = ('const s = Number(new URLSearchParams(location.search).get("refresh") ?? "10");\n'
           'if (s > 0) setTimeout(() => location.reload(), s * 1000);\n')
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
HEADERS = {
    "content-security-policy": f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
CHALLENGE = 'Basic realm="Gatepost admin", charset="UTF-8"'
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: .35em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.path { font-family: ui-monospace, monospace; white-space: nowrap; }
.method { font-weight: bold; display: inline-block; min-width: 4.5em; }
.public { color: #a40; font-weight: bold; }
.finding { display: block; }
.high { color: #b00; } .medium { color: #c60; } .low { color: #776; } .info { color: #668; }
.count { display: inline-block; min-width: 5.5em; }
.allowed { color: #070; } .refused { color: #a40; } .throttled { color: #a0a; } .failed { color: #b00; }
.muted { color: #888; }
"""


def outcome(status: int) -> str:
    if status < 400:
        return "allowed"
    if status == 429:
        return "throttled"
    return "failed" if status >= 500 else "refused"


class Counts:
    """Requests per (api, route) by outcome, and by (status, reason), from a merged metrics snapshot."""

    def __init__(self, requests: Iterable[list[Any]]) -> None:
        self.by_outcome: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
        self.by_reason: dict[tuple[str, str], dict[tuple[int, str], int]] = defaultdict(dict)
        for api, route, status, reason, n in requests:
            self.by_outcome[(api, route)][outcome(int(status))] += int(n)
            reasons = self.by_reason[(api, route)]
            reasons[(int(status), reason)] = reasons.get((int(status), reason), 0) + int(n)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def who_gets_in(row: Row) -> str:
    if row.public:
        parts = ['<span class="public">PUBLIC</span> (anyone)']
    else:
        parts = [f"<b>{_e(row.authorizer)}</b> ({_e(row.kind)}), from {_e(row.identity_source)}"]
        if row.owner != "-":
            parts.append(f"issued by {_e(row.owner)}")
    if row.scopes:
        parts.append(f"scopes: {_e(' '.join(row.scopes))}")
    if row.groups:
        parts.append(f"groups: {_e(' '.join(row.groups))}")
    if row.identity_pool_roles:
        parts.append(f"identity-pool roles: {_e('; '.join(row.identity_pool_roles))}")
    if row.api_key != "-":
        parts.append(f"API key {_e(row.api_key)}, plan {_e(row.usage_plan)}")
    if row.resource_policy != "none":
        parts.append(f"resource policy: {_e(row.resource_policy)}")
    if row.web_acl != "none":
        parts.append(f"Web ACL {_e(row.web_acl)}")
    return "<br>".join(parts)


def findings_cell(findings: list[Finding]) -> str:
    if not findings:
        return '<span class="muted">none</span>'
    return "".join(f'<span class="finding {_e(f.severity)}" data-rule="{_e(f.rule)}" title="fix: {_e(f.fix)}">'
                   f"{_e(f.severity.upper())} {_e(f.rule)}: {_e(f.message)}</span>" for f in findings)


def counts_cell(counts: Counts, api: str, route: str) -> str:
    found = counts.by_outcome.get((api, route), dict.fromkeys(OUTCOMES, 0))
    cells = "".join(f'<span class="count {o}" data-outcome="{o}">{o} {found[o]}</span>' for o in OUTCOMES)
    reasons = counts.by_reason.get((api, route))
    if reasons:
        items = ", ".join(f"{status} {_e(reason)} &times;{n}" for (status, reason), n in sorted(reasons.items()))
        cells += f'<div class="muted reasons">{items}</div>'
    return f'<td class="counts" data-total="{sum(found.values())}">{cells}</td>'


def _path_cell(row: Row, previous: str) -> str:
    """The route's method and path; the segments it shares with the row above are dimmed (a tree)."""
    method, _, path = row.route.partition(" ")
    if not path:  # `$default` and other keys without a method
        method, path = "", row.route
    segments, before = path.split("/"), previous.split("/")
    shared = 0
    while shared < min(len(segments), len(before)) - 1 and segments[shared + 1] == before[shared + 1]:
        shared += 1
    head, tail = "/".join(segments[:shared + 1]), "/".join(segments[shared + 1:])
    shown = f'<span class="muted">{_e(head)}</span>' + (f"/{_e(tail)}" if tail else "") \
        if path.startswith("/") else _e(path)
    depth = max(0, path.rstrip("/").count("/") - 1)
    return (f'<td class="path" style="padding-left:{0.6 + 1.5 * depth:.1f}em">'
            f'<span class="method">{_e(method)}</span> {shown}</td>')


def api_section(name: str, rows: list[Row], findings: list[Finding], counts: Counts) -> str:
    routes = {r.route for r in rows}
    by_target: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_target[f.target].append(f)
    others = [f for f in findings if f.target not in routes]
    head = (f'<section class="api" data-api="{_e(name)}"><h2>API {_e(name)} ({_e(rows[0].flavour)})</h2>'
            if rows else f'<section class="api" data-api="{_e(name)}"><h2>API {_e(name)}</h2>')
    if others:
        head += '<p class="api-findings">' + findings_cell(others) + "</p>"
    lines = ["<table><thead><tr><th>Route</th><th>Who gets in</th><th>Audit findings</th><th>Requests</th>"
             "</tr></thead><tbody>"]
    previous = ""
    for row in sorted(rows, key=lambda r: (r.route.partition(" ")[2] or r.route, r.route)):
        lines.append(f'<tr class="route" data-api="{_e(name)}" data-route="{_e(row.route)}">'
                     f"{_path_cell(row, previous)}<td>{who_gets_in(row)}</td>"
                     f"<td>{findings_cell(by_target.get(row.route, []))}</td>"
                     f"{counts_cell(counts, name, row.route)}</tr>")
        previous = row.route.partition(" ")[2] or row.route
    lines.append(f'<tr class="route unmatched" data-api="{_e(name)}" data-route="{NO_ROUTE}">'
                 '<td class="path muted">(no route matched)</td><td></td><td></td>'
                 f"{counts_cell(counts, name, NO_ROUTE)}</tr>")
    lines.append("</tbody></table></section>")
    return head + "".join(lines)


def render(loaded: Loaded, snapshot: dict[str, Any], workers: int, refresh: int) -> str:
    rows = explain(loaded)
    findings = sorted(audit(loaded), key=lambda f: -rank(f.severity))
    counts = Counts(snapshot.get("requests", []))
    by_api: dict[str, list[Row]] = {api: [] for api in loaded.config.apis}
    for row in rows:
        by_api.setdefault(row.api, []).append(row)
    sections = [api_section(api, api_rows, [f for f in findings if f.api == api], counts)
                for api, api_rows in by_api.items()]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    unmatched = sum(counts.by_outcome.get((NO_ROUTE, NO_ROUTE), {}).values())
    refreshing = f"refreshes every {refresh} s" if refresh > 0 else "auto-refresh off"
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatepost route map</title>'
            f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head><body><h1>Route map</h1>"
            f'<p class="muted">{len(rows)} route(s) in {len(by_api)} API(s); requests since start, summed over '
            f"{workers} worker(s); {_e(stamp)}; {refreshing} (<code>?refresh=SECONDS</code>, 0: off)</p>"
            + "".join(sections)
            + f'<p class="muted">Requests that matched no API: {unmatched}</p></body></html>')


def _refresh(request: web.Request) -> int:
    try:
        return max(0, min(3600, int(request.query.get("refresh", REFRESH_DEFAULT))))
    except ValueError:
        return REFRESH_DEFAULT


def route_map(server: AdminServer) -> Handler:
    """GET /admin/map, guarded by `gatepost:GetRouteMap`; a refusal for missing credentials asks for Basic."""

    async def page(request: web.Request) -> web.StreamResponse:
        gw = server.gw
        loaded = Loaded(gw.config, gw, gw.services.config_dir / "gatepost.yaml")
        html = render(loaded, await server.metrics.merged(), server.metrics.workers, _refresh(request))
        return web.Response(text=html, content_type="text/html", charset="utf-8", headers=HEADERS)

    guarded = server.guard(ACTION, page)

    async def challenged(request: web.Request) -> web.StreamResponse:
        response = await guarded(request)
        if response.status == 401 or (response.status == 403 and not request.headers.get("authorization")):
            return web.json_response({"message": "Unauthorized"}, status=401, headers={"www-authenticate": CHALLENGE})
        return response

    return challenged
