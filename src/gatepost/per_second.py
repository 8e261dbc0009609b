"""Text that depends only on the current second (an HTTP Date header, an event's requestTime): formatted once
per second, not once per request. A leaf module, compiled with the request path (gatepost/compiled.py)."""

from __future__ import annotations

from collections.abc import Callable


class PerSecondText:
    """`at(now)`: `render(second)` for the second `now` falls in, kept until `now` leaves that second (either
    way: a clock set back gets its own second's text). One attribute holds (second, text), so a reader in
    another thread never pairs a second with another second's text."""

    def __init__(self, render: Callable[[int], str]) -> None:
        self.render = render
        self.cached: tuple[float, str] = (-2.0, "")

    def at(self, now: float) -> str:
        cached = self.cached
        if cached[0] <= now < cached[0] + 1.0:
            return cached[1]
        second = int(now)
        text = self.render(second)
        self.cached = (float(second), text)
        return text
