"""Can the gateway open the stores its `state:` section names? Asked by `check` and by `serve`.

Each URL is tried the way the gateway will use it, without changing anything: an SQLite file must be
a database (or its folder creatable), Postgres and Redis must answer within a few seconds. A URL that
fails becomes a located ConfigError (file, line, what was expected, an example), never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gatepost.config.compile import compile_gateway
from gatepost.config.located import Located
from gatepost.config.models import GatewayConfig, StateConfig
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.stores.errors import redact_url
from gatepost.stores.url import sqlite_path

if TYPE_CHECKING:
    from gatepost.gateway import Gateway
    from gatepost.services import Services

TIMEOUT = 3.0  # seconds a store may take to answer `check`
REDIS_SCHEMES = ("redis", "rediss", "unix")
EXAMPLES = {
    "catalog": ("sqlite:///path/to/gatepost.db (relative to the config file), postgresql://user:password@host:5432/"
                "dbname or memory://", "catalog: sqlite:///.gatepost/gatepost.db"),
    "cache": ("memory:// (one process) or redis://host:port/db", "cache: redis://127.0.0.1:6379/0"),
    "counters": ("memory:// (one process) or redis://host:port/db (several workers or instances)",
                 "counters: redis://127.0.0.1:6379/1"),
}


def compile_checked(config: GatewayConfig, doc: Located, services: Services, config_dir: Path) -> Gateway:
    """compile_gateway, plus the state URLs: one ConfigError with every problem of both."""
    issues = state_issues(config.state, doc, config_dir)
    try:
        gateway = compile_gateway(config, doc, services, config_dir)
    except ConfigError as exc:
        raise ConfigError([*exc.issues, *issues]) from None
    if issues:
        raise ConfigError(issues)
    return gateway


def state_issues(state: StateConfig, doc: Located, config_dir: Path) -> list[ConfigIssue]:
    issues = []
    for role in ("catalog", "cache", "counters"):
        url = getattr(state, role)
        problem = _catalog_problem(url, config_dir) if role == "catalog" else _shared_problem(url)
        if problem is not None:
            expected, example = EXAMPLES[role]
            issues.append(doc.issue(("state", role), f"{role} URL {_shown(url)!r}: {problem}",
                                    f"expected {expected}; e.g. {example}"))
    return issues


def _catalog_problem(url: str, config_dir: Path) -> str | None:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return None
    if scheme == "sqlite":
        return _sqlite_problem(sqlite_path(url, config_dir))
    if scheme in ("postgresql", "postgres"):
        return _postgres_problem(url)
    return f"unknown kind of store {scheme + '://' if scheme else '(no scheme)'}"


def _shared_problem(url: str) -> str | None:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return None
    if scheme in REDIS_SCHEMES:
        return _redis_problem(url)
    return f"unknown kind of store {scheme + '://' if scheme else '(no scheme)'}"


def _sqlite_problem(path: Path) -> str | None:
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    if path.exists():
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=TIMEOUT) as conn:
                conn.execute("PRAGMA schema_version").fetchone()
            conn.close()
        except sqlite3.Error as exc:
            return f"cannot open {path}: {exc}"
        return None if os.access(path, os.W_OK) else f"{path} is not writable"
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot create {path}: {folder} is a file"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create {path}: {folder} is not writable"
    return None


def _postgres_problem(url: str) -> str | None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=max(1, int(TIMEOUT))).close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot connect ({first.replace(url, _shown(url))})"
    return None


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    except ValueError as exc:
        return f"not a Redis URL ({exc})"
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"cannot connect ({str(exc).strip() or type(exc).__name__})"
    finally:
        client.close()
    return None


def _shown(url: str) -> str:
    """The URL as the message may show it: a password becomes ***, a path-only URL stays as written."""
    return redact_url(url) if "@" in urlsplit(url).netloc else url
