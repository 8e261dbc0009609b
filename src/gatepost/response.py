"""Response: what the pipeline hands back to the server (a body, or a stream from the integration)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    close: Callable[[], Awaitable[None]] | None = None  # releases the upstream connection after streaming

    # an explicit __init__: mypyc compiles it (the one dataclasses generates runs interpreted, ~10x dearer)
    def __init__(self, status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b"",
                 stream: AsyncIterator[bytes] | None = None,
                 close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.status = status
        self.headers = [] if headers is None else headers
        self.body = body
        self.stream = stream
        self.close = close

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


def json_response(status: int, payload: object, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, [("content-type", "application/json"), *(headers or [])], orjson.dumps(payload))
