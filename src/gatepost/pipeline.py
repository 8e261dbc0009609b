"""The request path: one fixed order, AWS's (DESIGN.md section 1). Each line is a stage in its own module.

Every stage returns a value or raises GatewayError; `serve` is the one place that turns an error into a
response. A rejected request never reaches the integration, and never costs more than needed: no
authorizer runs for an unmatched route, an explicit resource-policy deny or a throttled caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from gatepost.canonical_path import strip_segments
from gatepost.decision import PUBLIC, Decision
from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import NO_POLICY, NO_THROTTLE, NO_USAGE, NO_WEB_ACL
from gatepost.gateway import Api, Gateway, RouteMatch, method_arn
from gatepost.noroute import no_route_error
from gatepost.propagate import outbound
from gatepost.request import GatewayRequest
from gatepost.response import Response
from gatepost.responses import GatewayResponses
from gatepost.stores.errors import CatalogUnavailable

log = logging.getLogger("gatepost.pipeline")

NO_API_RESPONSES = GatewayResponses("rest", "", {})
# memoized RouteMatches per API: parameterless routes, paths up to 256 characters (a few MB at most: the
# keys are the client's paths), cleared when full
_MATCHES_MAX = 2048
_MATCHED_PATH_MAX = 256


@dataclass
class Exchange:
    """What the access log needs to know about one request, filled in as the stages run."""

    req: GatewayRequest
    api: Api | None = None
    match: RouteMatch | None = None
    decision: Decision | None = None
    reason: str = ""
    error_type: str | None = None
    status: int = 0
    waf: Any = None  # the Web ACL's verdict when a rule matched (waf/acl.py Verdict)
    sent_at: float = 0.0  # perf_counter() when the integration was called (0: not called)

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer)
    def __init__(self, req: GatewayRequest, api: Api | None = None, match: RouteMatch | None = None,
                 decision: Decision | None = None, reason: str = "", error_type: str | None = None,
                 status: int = 0, waf: Any = None, sent_at: float = 0.0) -> None:
        self.req = req
        self.api = api
        self.match = match
        self.decision = decision
        self.reason = reason
        self.error_type = error_type
        self.status = status
        self.waf = waf
        self.sent_at = sent_at


def route(api: Api | None, path: str, req: GatewayRequest, ex: Exchange) -> RouteMatch:
    if api is None:
        raise GatewayError(ResponseType.MISSING_AUTHENTICATION_TOKEN, "api.not_found")
    key = (req.method, path, req.raw_path)
    match = api.matches.get(key)
    if match is None:
        match = _match(api, path, req)
        if not match.path_params and len(req.raw_path) <= _MATCHED_PATH_MAX:  # same request line, same match
            if len(api.matches) >= _MATCHES_MAX:
                api.matches.clear()
            api.matches[key] = match
    ex.match = match
    return match


def _match(api: Api, path: str, req: GatewayRequest) -> RouteMatch:
    m = api.table.match(req.method, path)
    if m is None:
        raise no_route_error(api.flavour, req)
    raw = req.raw_path if api.base_path == "/" else strip_segments(req.raw_path, api.base_path.count("/"))
    return RouteMatch(api, m.value, req.method, m.path_params, path, raw, method_arn(api, req.method, path))


async def run(gw: Gateway, api: Api | None, path: str, req: GatewayRequest, ex: Exchange) -> Response:
    """The stages in AWS's order. A gate left at its pass-through default (gates.py) is not awaited."""
    match = route(api, path, req, ex)
    r = match.route
    assert api is not None
    policy, usage = api.policy, api.usage
    if gw.services.watcher.stale and (r.api_key_required or r.authorizer.uses_catalog):
        raise GatewayError(ResponseType.SERVICE_UNAVAILABLE, "catalog.stale")  # docs/operations.md
    if policy is not NO_POLICY:
        await policy.pre_check(req, match)  # explicit Deny on source IP / account: no authorizer call
    if api.caller_throttle is not NO_THROTTLE:
        await api.caller_throttle.admit(req, match)  # stage/route limits before any authorizer work
    if r.public:
        decision = PUBLIC  # what a public route's authorizer (authorizers/none.py) answers, without the call
    else:  # observe/metrics.py: the authorizer's latency (nothing to time on a public route)
        started = perf_counter()
        decision = await r.authorizer.authorize(req, match)
        gw.metrics.authorized(r.authorizer, perf_counter() - started)
    ex.decision = decision
    if policy is not NO_POLICY:
        decision = await policy.combine(req, match, decision)  # identity x resource policy
        ex.decision = decision
    decision.raise_if_rejected()
    if usage is not NO_USAGE:
        decision = await usage.admit(req, match, decision)  # api key, plan throttle, quota
        ex.decision = decision
    if r.validator is not None:
        r.validator.check(req, match)  # AWS's request validators: after authorization and the API key
    gw.integration_calls[r] += 1  # observe/integration_counts.py (what `gatepost probe` checks)
    sent = outbound(req, match, decision, gw.propagation_prefix)
    ex.sent_at = perf_counter()  # observe/metrics.py: the integration's latency runs from here to the answer
    try:
        response = await r.integration.send(sent)
    except GatewayError as err:
        gw.metrics.integration_failed(r, err.reason)
        raise
    if usage is not NO_USAGE:
        extra_headers = await usage.record(match, decision, response.status)
        if extra_headers:
            response.headers.extend(extra_headers)
    return response


async def serve(gw: Gateway, req: GatewayRequest) -> tuple[Response, Exchange]:
    started = perf_counter()
    ex = Exchange(req)
    try:
        api, path = gw.find_api(req.host, req.path) or (None, req.path)
        ex.api = api
        response = None
        if api is not None and api.web_acl is not NO_WEB_ACL:
            response = await api.web_acl.inspect(req, ex)  # the Web ACL (waf/): before CORS, routes, authorizers
        if response is not None:
            ex.reason = "waf.blocked"
        elif api is not None and api.cors is not None and api.cors.is_preflight(req):
            ex.reason = "cors.preflight"
            response = api.cors.preflight(req)
        else:
            response = await run(gw, api, path, req, ex)
            ex.reason = ex.decision.reason if ex.decision else "ok"
    except CatalogUnavailable:  # a write the request needed (sign-in, ...): nothing was written
        ex.reason, ex.error_type = "catalog.unavailable", str(ResponseType.SERVICE_UNAVAILABLE)
        responses = ex.api.responses if ex.api is not None else NO_API_RESPONSES
        response = responses.render(GatewayError(ResponseType.SERVICE_UNAVAILABLE, ex.reason), req)
    except GatewayError as err:
        ex.reason, ex.error_type = err.reason, str(err.type)
        responses = ex.api.responses if ex.api is not None else NO_API_RESPONSES
        response = responses.render(err, req, ex.match.path_params if ex.match else None)
    except Exception:
        log.exception("gateway.internal_error request_id=%s", req.request_id)
        ex.reason, ex.error_type = "gateway.internal_error", str(ResponseType.API_CONFIGURATION_ERROR)
        responses = ex.api.responses if ex.api is not None else NO_API_RESPONSES
        response = responses.render(GatewayError(ResponseType.API_CONFIGURATION_ERROR, ex.reason), req)
    if ex.api is not None and ex.api.cors is not None:
        ex.api.cors.decorate(req, response)
    ex.status = response.status
    ended = perf_counter()
    gw.metrics.observe(ex.match.route if ex.match is not None else ex.api, response.status, ex.reason,
                       ended - started, ended - ex.sent_at if ex.sent_at else -1.0)
    return response, ex
