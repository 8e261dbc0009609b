"""Outbound: an allowed request, ready for its integration (built once per request: a compiled module)."""

from __future__ import annotations

from dataclasses import dataclass

# imported at run time, not only for the type checker: a compiled dataclass's field types must be loaded
# when its module starts (mypyc builds the class's annotations from them)
from gatepost.decision import Decision
from gatepost.matching import Match
from gatepost.request import GatewayRequest


@dataclass(eq=False)  # not frozen: built once per request
class Outbound:
    """An allowed request, ready for its integration.

    `headers`: the client's headers with hop-by-hop and reserved-prefix headers removed, plus the
    identity headers Gatepost sets (propagate.py). `client_headers`: the same without identity headers
    (what a Lambda-proxy event shows).
    """

    req: GatewayRequest
    match: Match
    decision: Decision
    headers: list[tuple[str, str]]
    client_headers: list[tuple[str, str]]

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer)
    def __init__(self, req: GatewayRequest, match: Match, decision: Decision, headers: list[tuple[str, str]],
                 client_headers: list[tuple[str, str]]) -> None:
        self.req = req
        self.match = match
        self.decision = decision
        self.headers = headers
        self.client_headers = client_headers
