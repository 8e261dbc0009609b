"""The native server's limits and deadlines, compiled once from `server:` (docs/security.md, "Limits and
deadlines")."""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.config.models import ServerConfig


@dataclass(frozen=True)
class ServerLimits:
    head_timeout: float = 10.0  # the whole request head, from its first byte (or the connection's start)
    idle_timeout: float = 30.0  # silence inside a body, a client not reading our answer, or keep-alive
    max_connections: int = 1024  # open client connections per process; more wait in the listen backlog
    max_header_fields: int = 100  # header fields in one request head; more -> 431

    @classmethod
    def of(cls, server: ServerConfig) -> ServerLimits:
        return cls(head_timeout=server.head_timeout, idle_timeout=server.idle_timeout,
                   max_connections=server.max_connections, max_header_fields=server.max_header_fields)
