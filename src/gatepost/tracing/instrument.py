"""Child spans for authorizer and integration calls, and `traceparent` to the integration.

With tracing on, each authorizer (but the public one, which does nothing worth a span) and each integration of
the compiled gateway gets its `authorize` / `send` wrapped, once, on the instance: the pipeline itself is not
touched, and with tracing off nothing is wrapped. A wrapped call on a request without a trace (a tool calling
an authorizer directly) is the plain call.

The integration receives the request's `traceparent` (its parent: the integration span when spans are
recorded, else the gateway's server span) and a trusted caller's `tracestate`, in place of whatever the client
sent: in the upstream's headers and in a Lambda-proxy event's `headers` (which also carry `X-Amzn-Trace-Id`,
events.py).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from gatepost.errors import GatewayError
from gatepost.integrations.outbound import Outbound
from gatepost.tracing.attributes import authorizer_attributes, integration_attributes, method_attributes
from gatepost.tracing.context import CLIENT, INTERNAL, RequestTrace

if TYPE_CHECKING:
    from gatepost.authorizers.base import Authorizer
    from gatepost.decision import Decision
    from gatepost.integrations.base import Integration
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.response import Response

_TRACE_HEADERS = ("traceparent", "tracestate")


def instrument(authorizers: Iterable[Authorizer], integrations: Iterable[Integration]) -> None:
    for authorizer in authorizers:
        if authorizer.kind != "none" and "authorize" not in vars(authorizer):
            authorizer.authorize = _traced_authorize(authorizer, authorizer.authorize)  # type: ignore[method-assign, assignment]
    for integration in integrations:
        if "send" not in vars(integration):
            integration.send = _traced_send(integration, integration.send)  # type: ignore[method-assign, assignment]


def _traced_authorize(authorizer: Authorizer, inner: Callable[[GatewayRequest, Match], Coroutine[Any, Any, Decision]]
                      ) -> Callable[[GatewayRequest, Match], Coroutine[Any, Any, Decision]]:
    name = f"authorize {authorizer.name}"
    fixed = authorizer_attributes(authorizer.name, authorizer.kind)

    async def authorize(req: GatewayRequest, match: Match) -> Decision:
        trace: RequestTrace | None = req.trace
        if trace is None or not trace.recording:
            return await inner(req, match)
        span = trace.child(name, INTERNAL, dict(fixed))
        try:
            decision = await inner(req, match)
        except BaseException as exc:
            span.end(_reason(exc))
            raise
        span.attributes["gatepost.outcome"] = str(decision.outcome)
        span.attributes["gatepost.reason"] = decision.reason
        span.end(None if decision.outcome != "error" else decision.reason)
        return decision

    return authorize


def _traced_send(integration: Integration, inner: Callable[[Outbound], Coroutine[Any, Any, Response]]
                 ) -> Callable[[Outbound], Coroutine[Any, Any, Response]]:
    prefix, fixed = integration_attributes(integration.describe())
    forwards = integration.kind != "mock"  # a mock answers itself: no next hop to tell

    async def send(out: Outbound) -> Response:
        trace: RequestTrace | None = out.req.trace
        if trace is None:
            return await inner(out)
        if not trace.recording:
            return await inner(with_trace_headers(out, trace, trace.span_id) if forwards else out)
        attributes = {**fixed, **method_attributes(out.req.method)} if not prefix else dict(fixed)
        span = trace.child(prefix or attributes["http.request.method"], CLIENT, attributes)
        try:
            response = await inner(with_trace_headers(out, trace, span.span_id) if forwards else out)
        except BaseException as exc:
            span.end(_reason(exc))
            raise
        attributes["http.response.status_code"] = response.status
        span.end(str(response.status) if response.status >= 500 else None)
        return response

    return send


def with_trace_headers(out: Outbound, trace: RequestTrace, span_id: int) -> Outbound:
    """`out` with the client's `traceparent`/`tracestate` replaced by the request's trace."""
    ours = [("traceparent", trace.traceparent(span_id))]
    if trace.tracestate:
        ours.append(("tracestate", trace.tracestate))
    sent = out.req.header_map
    if "traceparent" in sent or "tracestate" in sent:
        return Outbound(out.req, out.match, out.decision, _replace(out.headers, ours),
                        _replace(out.client_headers, ours))
    return Outbound(out.req, out.match, out.decision, out.headers + ours, out.client_headers + ours)


def _replace(headers: list[tuple[str, str]], ours: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k not in _TRACE_HEADERS] + ours


def _reason(exc: BaseException) -> str:
    """A stable code for the span's error: the gateway's reason, or the exception's type (never its message)."""
    return exc.reason if isinstance(exc, GatewayError) else type(exc).__name__

