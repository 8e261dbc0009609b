"""The pipeline's Web ACL slot: evaluates the API's Web ACL once per request, before CORS, routing and any
authorizer (on AWS, WAF sits in front of the stage). A Block answers AWS's WAF_FILTERED gateway response
(403 {"message":"Forbidden"}, overridable in gateway_responses) or the rule's CustomResponse; Allow and the
Count rules let the request go on. The verdict (ACL, rule, labels, counted rules) goes to the access log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import WafNotes, WebAclGate
from gatepost.response import Response
from gatepost.stores.counters import Outcome, Quota
from gatepost.waf.acl import WebAcl

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

    async def start(self) -> None:
        if self.runtime is not None:
            await self.runtime.start()

    async def close(self) -> None:
        if self.runtime is not None:
            await self.runtime.close()

    async def _over_limit(self, quota: Quota, now: float) -> bool:
        assert self.runtime is not None
        verdict = await self.runtime.admit((), quota, now)
        return verdict.outcome is Outcome.QUOTA_EXCEEDED

    async def inspect(self, req: GatewayRequest, notes: WafNotes) -> Response | None:
        verdict = await self.acl.evaluate(req, self.clock.now(), self._over_limit)
        if verdict is self.acl.default_verdict and not verdict.blocked:
            return None
        notes.waf = verdict
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
