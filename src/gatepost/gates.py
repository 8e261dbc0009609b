"""The pipeline's slots around the authorizer, each with a pass-through default.

- PolicyGate: the API's resource policy (pre-check before any authorizer; combine after). Built by
  policy/resource.py from `resource_policy:`.
- CallerThrottle: stage/route limits by source IP or global, before any authorizer work (usage/).
- UsageGate: API key, usage-plan throttle and quota, after authorization (usage/).
- WebAclGate: the API's Web ACL, before everything else (waf/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from mypy_extensions import mypyc_attr

if TYPE_CHECKING:
    from gatepost.decision import Decision
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.response import Response


class WafNotes(Protocol):
    """Where the Web ACL leaves its verdict for the access log (pipeline.Exchange)."""

    waf: Any


@mypyc_attr(allow_interpreted_subclasses=True)  # subclassed outside the compiled modules
class PolicyGate:
    """No resource policy: nothing is denied before the authorizer, the decision stands as it is."""

    async def pre_check(self, req: GatewayRequest, match: Match) -> None:
        return None

    async def combine(self, req: GatewayRequest, match: Match, decision: Decision) -> Decision:
        return decision

    def describe(self, match: Match | None = None) -> str:
        return "none"


class CallerThrottle:
    """No caller-independent throttle."""

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def admit(self, req: GatewayRequest, match: Match) -> None:
        return None


class UsageGate:
    """No API keys or usage plans."""

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def admit(self, req: GatewayRequest, match: Match, decision: Decision) -> Decision:
        return decision

    async def record(self, match: Match, decision: Decision, status: int) -> list[tuple[str, str]] | None:
        """Called after the integration answered; may return headers to add (e.g. remaining quota)."""
        return None


@mypyc_attr(allow_interpreted_subclasses=True)  # subclassed outside the compiled modules
class WebAclGate:
    """No Web ACL: every request goes on."""

    name = ""

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def inspect(self, req: GatewayRequest, notes: WafNotes) -> Response | None:
        """None: go on. A response: the request is blocked with it. May raise GatewayError (WAF_FILTERED)."""
        return None

    def describe(self) -> str:
        return "none"

    def fired(self) -> dict[str, int]:
        """Requests on which each rule matched, since the start (what `gatepost probe` compares)."""
        return {}

    @property
    def rate_limited(self) -> bool:
        """Whether a rate-based rule is in front of every request."""
        return False


NO_POLICY = PolicyGate()
NO_THROTTLE = CallerThrottle()
NO_USAGE = UsageGate()
NO_WEB_ACL = WebAclGate()
