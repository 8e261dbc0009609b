"""Caller-independent throttles, before any authorizer: the API's (stage) `throttle:` and each route's.

They protect authorizers and login endpoints from floods: a token bucket per source IP (`by: source_ip`,
the default) or one for everyone (`by: global`, like AWS's stage and route limits). Both apply when both
are set. Throttled: 429 Too Many Requests with Retry-After; no authorizer runs.
"""

from __future__ import annotations

import math

from gatepost.config.throttle import ThrottleConfig
from gatepost.errors import GatewayError, ResponseType
from gatepost.gates import CallerThrottle
from gatepost.matching import Match
from gatepost.request import GatewayRequest
from gatepost.stores.counters import Bucket, Outcome
from gatepost.usage.runtime import UsageRuntime


def _bucket(name: str, cfg: ThrottleConfig, req: GatewayRequest) -> Bucket:
    subject = "global" if cfg.by == "global" else "ip:" + req.source_ip
    return Bucket(f"ct:{name}:{subject}", cfg.rate, cfg.burst)


class CallerLimits(CallerThrottle):
    def __init__(self, runtime: UsageRuntime, api_name: str, stage: ThrottleConfig | None) -> None:
        self.runtime = runtime
        self.api_name = api_name
        self.stage = stage

    async def start(self) -> None:
        await self.runtime.start()

    async def close(self) -> None:
        await self.runtime.close()

    async def admit(self, req: GatewayRequest, match: Match) -> None:
        buckets = []
        if self.stage is not None:
            buckets.append(_bucket(f"{self.api_name}:stage", self.stage, req))
        if match.route.throttle is not None:
            buckets.append(_bucket(f"{self.api_name}:route{match.route.index}", match.route.throttle, req))
        if not buckets:
            return
        verdict = await self.runtime.admit(buckets, None, self.runtime.clock.now())
        if verdict.outcome is Outcome.THROTTLED:
            raise GatewayError(ResponseType.THROTTLED, "throttle.caller",
                               headers={"retry-after": str(max(1, math.ceil(verdict.retry_after)))})
