"""A scripted upstream on 127.0.0.1: reads each request off a real socket, answers with the exact bytes a
test gives, so the client meets the HTTP edges (framings, 1xx, closes, garbage) that real servers produce."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Seen:
    head: bytes
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode()

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None


# (request number on this connection, what was seen, writer) -> None; the handler writes what it wants
Handler = Callable[[int, Seen, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Scripted:
    port: int
    connections: int = 0
    requests: list[Seen] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def read_request(reader: asyncio.StreamReader) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    seen = Seen(head, b"")
    length = seen.header("content-length")
    if length:
        seen.body = await reader.readexactly(int(length))
    return seen


@contextlib.asynccontextmanager
async def scripted(handler: Handler) -> AsyncIterator[Scripted]:
    state = Scripted(0)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        n = 0
        try:
            while True:
                seen = await read_request(reader)
                if seen is None:
                    break
                state.requests.append(seen)
                await handler(n, seen, writer)
                n += 1
                if writer.is_closing():
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


def answer(status: int = 200, body: bytes = b"ok", headers: str = "") -> bytes:
    return (f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n{headers}\r\n").encode() + body
