"""The usage stage of one API (after authorization): API key, then the key's plan throttle and quota.

Only routes with `api_key_required` are checked; the key comes from `x-api-key` (api_key_source HEADER)
or from the Lambda authorizer's `usageIdentifierKey` (AUTHORIZER). As AWS: a missing, unknown or disabled
key, or one in no plan for this API stage, is 403 Forbidden; an empty bucket 429 Too Many Requests; a used
quota 429 Limit Exceeded. Beyond AWS: `Retry-After` on 429s, and RateLimit-* headers when
`usage.quota_headers` is on. A rejected request consumes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from gatepost.decision import Decision
from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import UsageGate
from gatepost.matching import Match
from gatepost.request import GatewayRequest
from gatepost.stores.counters import Outcome, Record
from gatepost.usage.keyring import Attachment
from gatepost.usage.limiter import day_of
from gatepost.usage.plans import CompiledPlan, Limits
from gatepost.usage.runtime import UsageRuntime

QUOTA_FACTS = "usage.quota"  # decision.extra key: (limit, remaining, reset seconds), for the headers


def _forbidden(reason: str) -> GatewayError:
    return GatewayError(ResponseType.INVALID_API_KEY, reason)


class ApiKeyGate(UsageGate):
    def __init__(self, runtime: UsageRuntime, plans: Mapping[str, CompiledPlan], key_source: str,
                 quota_headers: bool) -> None:
        self.runtime = runtime
        self.plans = dict(plans)  # the plans covering this API stage, by name
        self.from_authorizer = key_source == "AUTHORIZER"
        self.quota_headers = quota_headers
        # refusals by plan name: [throttled, quota exceeded] (observe/usage_health.py reads them at scrape)
        self.rejections: dict[str, list[int]] = {name: [0, 0] for name in self.plans}

    async def start(self) -> None:
        await self.runtime.start()

    async def close(self) -> None:
        await self.runtime.close()

    async def admit(self, req: GatewayRequest, match: Match, decision: Decision) -> Decision:
        if not match.route.api_key_required:
            return decision
        value = decision.principal.usage_identifier_key if self.from_authorizer else req.header_map.get("x-api-key")
        if not value:
            raise _forbidden("usage.key_missing")
        now = self.runtime.clock.now()
        entry = self.runtime.ring.lookup(value, now)
        if entry is None:
            raise _forbidden("usage.key_unknown")
        if not entry.enabled:
            raise _forbidden("usage.key_disabled")
        found = self._plan_of(entry.key_id)
        if found is None:
            raise _forbidden("usage.key_not_in_plan")
        plan, att = found
        limits = plan.limits(match, entry.key_id, att, now)
        day = day_of(now)
        record = Record(day, f"{entry.key_id}|{plan.name}")
        verdict = await self.runtime.admit(limits.buckets, limits.quota, now, record)
        facts = self._facts(limits, verdict.used, now)
        if verdict.outcome is Outcome.THROTTLED:
            self.rejections.setdefault(plan.name, [0, 0])[0] += 1
            raise GatewayError(ResponseType.THROTTLED, "usage.throttled",
                               headers={"retry-after": str(max(1, math.ceil(verdict.retry_after)))})
        if verdict.outcome is Outcome.QUOTA_EXCEEDED:
            assert facts is not None
            self.rejections.setdefault(plan.name, [0, 0])[1] += 1
            raise GatewayError(ResponseType.QUOTA_EXCEEDED, "usage.quota_exceeded",
                               headers={"retry-after": str(facts[2]), **self._headers(facts)})
        self.runtime.count(day, entry.key_id, plan.name)
        decision = decision.with_principal(api_key_id=entry.key_id)
        if self.quota_headers and facts is not None:
            decision = replace(decision, extra={**decision.extra, QUOTA_FACTS: facts})
        return decision

    async def record(self, match: Match, decision: Decision, status: int) -> list[tuple[str, str]] | None:
        facts = decision.extra.get(QUOTA_FACTS) if self.quota_headers else None
        return list(self._headers(facts).items()) if facts else None

    def _plan_of(self, key_id: str) -> tuple[CompiledPlan, Attachment] | None:
        attached = self.runtime.ring.attachments(key_id)
        for name in sorted(attached):  # one plan per API stage; the CLI refuses a second one
            plan = self.plans.get(name)
            if plan is not None:
                return plan, attached[name]
        return None

    @staticmethod
    def _facts(limits: Limits, used: int, now: float) -> tuple[int, int, int] | None:
        if limits.quota is None or limits.window is None:
            return None
        return limits.quota.limit, max(0, limits.quota.limit - used), max(1, math.ceil(limits.window.end - now))

    def _headers(self, facts: tuple[int, int, int] | None) -> dict[str, str]:
        if not self.quota_headers or facts is None:
            return {}
        limit, remaining, reset = facts
        return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": str(reset)}
