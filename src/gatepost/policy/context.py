"""Request condition keys for policy evaluation (aws:SourceIp, aws:CurrentTime, ...), built per request."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gatepost.clock import Clock

if TYPE_CHECKING:
    from gatepost.request import GatewayRequest

INVOKE = "execute-api:Invoke"
_clock_text: tuple[int, str] = (-1, "")  # aws:CurrentTime, formatted once per second


def current_time(now: float) -> str:
    global _clock_text
    second = int(now)
    if _clock_text[0] != second:
        _clock_text = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _clock_text[1]


def request_context(req: GatewayRequest, clock: Clock) -> dict[str, Any]:
    """`aws:SourceIp` is `req.source_ip`: the socket peer, or X-Forwarded-For behind a trusted proxy only."""
    now = clock.now()
    ctx: dict[str, Any] = {
        "aws:SourceIp": req.source_ip,
        "aws:CurrentTime": current_time(now),
        "aws:EpochTime": int(now),
        "aws:SecureTransport": req.scheme == "https",
    }
    agent = req.header_map.get("user-agent")
    if agent is not None:
        ctx["aws:UserAgent"] = agent
    referer = req.header_map.get("referer")
    if referer is not None:
        ctx["aws:Referer"] = referer
    return ctx


def denial_message(principal: str, resource: str, explicit: bool) -> str:
    text = f"User: {principal} is not authorized to perform: {INVOKE} on resource: {resource}"
    return text + " with an explicit deny" if explicit else text
