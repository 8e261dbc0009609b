"""What a store says when it cannot serve: one exception per role, messages safe to log (no credential)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


class CatalogUnavailable(Exception):
    """The catalog cannot be reached; nothing was written by the call that raised it."""


def redact_url(url: str) -> str:
    """`postgresql://app:secret@db:5432/gatepost` -> `postgresql://app:***@db:5432/gatepost`; query dropped."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        name = user.split(":", 1)[0]
        netloc = f"{name}:***@{host}" if ":" in user else f"{name}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
