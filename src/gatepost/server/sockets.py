"""Listening sockets for the native server: one per process, or one per worker with SO_REUSEPORT."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from gatepost.config.models import ServerConfig

REUSE_PORT = hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A bound (and listening) TCP socket. With `reuse_port`, every worker binds its own socket to the
    same port and the kernel spreads new connections over them evenly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(4096)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def tls_context(server: ServerConfig, config_dir: Path) -> ssl.SSLContext | None:
    if server.tls is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(config_dir / server.tls.cert), str(config_dir / server.tls.key))
    return ctx
