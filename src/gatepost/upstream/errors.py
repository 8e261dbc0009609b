"""Why an upstream exchange failed. The http integration maps these to AWS's integration errors."""

from __future__ import annotations


class UpstreamError(Exception):
    """The upstream could not be reached or answered something unusable."""

    reason = "integration.unreachable"


class UpstreamTimeout(UpstreamError):
    reason = "integration.timeout"


class UpstreamClosed(UpstreamError):
    """The connection closed before the response was complete."""

    reason = "integration.connection_closed"

    def __init__(self, message: str = "upstream closed the connection", *, before_response: bool = False) -> None:
        super().__init__(message)
        self.before_response = before_response  # no byte of the response arrived: safe to retry idempotent


class UpstreamProtocolError(UpstreamError):
    """The upstream's bytes are not valid HTTP/1.1 (or ask for something we do not speak, like 101)."""

    reason = "integration.bad_response"
