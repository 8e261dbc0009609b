"""The pipeline's Web ACL slot: evaluates the API's Web ACL once per request, before CORS, routing and any
authorizer (on AWS, WAF sits in front of the stage). A Block answers AWS's WAF_FILTERED gateway response
(403 {"message":"Forbidden"}, overridable in gateway_responses) or the rule's CustomResponse; Allow and the
Count rules let the request go on. The verdict (ACL, rule, labels, counted rules) goes to the access log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import WafNotes, WebAclGate
from gatepost.response import Response
from gatepost.waf.acl import WebAcl
from gatepost.waf.counting import rate_counters
from gatepost.waf.rate import RateCounters

if TYPE_CHECKING:
    from gatepost.clock import Clock
    from gatepost.request import GatewayRequest
    from gatepost.usage.runtime import UsageRuntime


class WebAclFilter(WebAclGate):
    def __init__(self, acl: WebAcl, clock: Clock, runtime: UsageRuntime | None) -> None:
        self.acl = acl
        self.name = acl.name
        self.clock = clock
        self.runtime = runtime  # the counters, when the ACL has rate-based rules
        self.hits: dict[str, int] = {}  # rule name -> requests it matched (Default_Action included)
        self.counters: RateCounters = rate_counters(None)

    async def start(self) -> None:
        if self.runtime is not None:
            await self.runtime.start()
            self.counters = rate_counters(self.runtime.counters)

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()

    def describe(self) -> str:
        acl = self.acl
        rates = [f"{r.name} {r.rate.limit}/{r.rate.window}s by {r.rate.aggregate}" for r in acl.rules if r.rate]
        text = f"{acl.name}: {len(acl.rules)} rules, default {acl.default.kind}"
        return text + (f"; rate: {', '.join(rates)}" if rates else "")

    def fired(self) -> dict[str, int]:
        return dict(self.hits)

    @property
    def rate_limited(self) -> bool:
        """A rate-based rule without a scope-down statement counts every request."""
        return any(r.rate is not None and r.rate.scope_down is None for r in self.acl.rules)

    async def inspect(self, req: GatewayRequest, notes: WafNotes) -> Response | None:
        verdict = await self.acl.evaluate(req, self.clock.now(), self.counters)
        if verdict is self.acl.default_verdict and not verdict.blocked:
            return None
        notes.waf = verdict
        hits = self.hits
        for rule in verdict.fired or ("Default_Action",):
            hits[rule] = hits.get(rule, 0) + 1
        if not verdict.blocked:
            return None
        custom = verdict.action.response
        if custom is None:
            raise GatewayError(ResponseType.WAF_FILTERED, "waf.blocked")
        headers = [(k.lower(), v) for k, v in custom.headers]
        if custom.content_type:
            headers.insert(0, ("content-type", custom.content_type))
        headers.append(("x-amzn-requestid", req.request_id))
        return Response(custom.status, headers, custom.body)

