"""What one Web ACL evaluation carries from rule to rule: the request, the labels added so far, and the
request components already extracted and transformed (two rules inspecting the same component with the same
transformations share the work)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from gatepost.request import GatewayRequest

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
# A component's values: candidate strings (empty: the component is absent), or True / False when the
# oversize or invalid-JSON handling decided the match without inspecting.
Values = tuple[str, ...] | bool


class Inspection:
    __slots__ = ("body_limit", "labels", "memo", "now", "req", "trusted")

    def __init__(self, req: GatewayRequest, body_limit: int, trusted: Networks, now: float) -> None:
        self.req = req
        self.body_limit = body_limit
        self.trusted = trusted
        self.now = now
        self.labels: list[str] = []
        self.memo: dict[Any, Any] = {}

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value

    def peer_trusted(self) -> bool:
        """Whether a forwarding header may be believed: the socket peer is one of `server.trusted_proxies`."""
        if not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(self.req.peer_ip)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)
