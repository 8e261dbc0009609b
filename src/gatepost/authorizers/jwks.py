"""One issuer's signing keys: OIDC discovery, the JWKS fetch, the key cache and its failure rules.

- Keys are fetched in the background at start, kept `max_age` seconds (default 3600, AWS's "up to an
  hour"), then refreshed in the background while the old ones keep serving.
- A token whose `kid` is unknown triggers an immediate refetch, at most once per `refetch_interval` per
  issuer (a flood of random kids costs one fetch); concurrent misses share one fetch.
- Each fetch (discovery, then JWKS) has a 1.5 s timeout and a 150,000-byte cap, as AWS documents.
- When the issuer is down, known keys keep working until `max_age + last_known_good` seconds after the
  last successful fetch, then the source reports no keys (fail closed). Unknown kids always fail closed.
- URLs come from the config (or the issuer's discovery document), never from a token: `jku`, `x5u`
  and `jwk` headers are refused before anything here runs.

One source per (issuer, jwks_uri, settings) per process (`sources()`), shared by every authorizer that
trusts that issuer; sources of different issuers share nothing, so one issuer's outage touches no other.
A live reload (server/reload.py) hands the new gateway the sources whose issuer and settings did not change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from gatepost.authorizers.jwk_import import JwkEntry, import_jwks
from gatepost.clock import Clock

log = logging.getLogger("gatepost.jwks")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@dataclass(frozen=True, slots=True)
class JwksSettings:
    max_age: float = 3600.0
    last_known_good: float = 3600.0
    refetch_interval: float = 30.0
    fetch_timeout: float = 1.5
    max_bytes: int = 150_000
    allow_http: bool = False  # plain http to a host other than loopback


class KeyState(Enum):
    FOUND = "found"
    UNKNOWN_KID = "unknown_kid"  # keys are known, this kid is not among them
    NO_KEYS = "no_keys"  # no key was ever fetched, or the last-known-good time ran out


class FetchError(Exception):
    pass


def check_url(url: str, allow_http: bool, what: str) -> str:
    """https anywhere; http only to loopback (or with allow_http). Raises ValueError with a fix."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not allow_http:
        raise ValueError(f"{what} {url!r} uses plain http to a remote host: keys could be replaced in transit "
                         "(use https, or set allow_http: true for a trusted network)")
    return url


class JwksSource:
    def __init__(self, issuer: str, jwks_uri: str | None, settings: JwksSettings, clock: Clock,
                 http: Callable[[], aiohttp.ClientSession]) -> None:
        self.issuer = issuer
        self.jwks_uri = jwks_uri
        self.settings = settings
        self.clock = clock
        self.http = http
        self.keys: dict[str, JwkEntry] = {}
        self.fetched_at: float | None = None  # monotonic time of the last successful fetch
        self.last_attempt: float | None = None
        self.fetches = 0  # successful fetches (tests and metrics read it)
        self.failures = 0  # failed fetches (metrics)
        self._inflight: asyncio.Task[None] | None = None
        self._users = 0  # authorizers started and not closed (start/close)

    # ---- the request path: a dict lookup, a fetch only on a miss ----------------------------------------

    def usable(self, kid: str) -> JwkEntry | None:
        """The key for `kid` if known and within its last-known-good time. Never waits: stale keys are
        refreshed in the background (at most once per refetch interval) while they keep serving."""
        if self.fetched_at is None:
            return None
        now = self.clock.monotonic()
        age = now - self.fetched_at
        if age >= self.settings.max_age:
            self._refresh_soon(now)
            if age >= self.settings.max_age + self.settings.last_known_good:
                return None
        return self.keys.get(kid)

    async def key(self, kid: str) -> tuple[KeyState, JwkEntry | None]:
        entry = self.usable(kid)
        if entry is not None:
            return KeyState.FOUND, entry
        now = self.clock.monotonic()
        if self._inflight is not None or self._may_fetch(now):
            await self._refresh(now)
            entry = self.usable(kid)
            if entry is not None:
                return KeyState.FOUND, entry
        if self.fetched_at is None or self._expired(self.clock.monotonic()):
            return KeyState.NO_KEYS, None
        return KeyState.UNKNOWN_KID, None

    def _expired(self, now: float) -> bool:
        assert self.fetched_at is not None
        return now - self.fetched_at >= self.settings.max_age + self.settings.last_known_good

    def _may_fetch(self, now: float) -> bool:
        return self.last_attempt is None or now - self.last_attempt >= self.settings.refetch_interval

    def _refresh_soon(self, now: float) -> None:
        if self._inflight is None and self._may_fetch(now):
            self._start_fetch(now)

    async def _refresh(self, now: float) -> None:
        task = self._inflight or self._start_fetch(now)
        await asyncio.shield(task)

    def _start_fetch(self, now: float) -> asyncio.Task[None]:
        self.last_attempt = now
        self._inflight = asyncio.get_running_loop().create_task(self._fetch(), name=f"jwks:{self.issuer}")
        return self._inflight

    # ---- fetching ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Begin the first fetch in the background: the gateway starts even when the issuer is down."""
        self._users += 1
        if self._inflight is None and self.fetched_at is None:
            self._start_fetch(self.clock.monotonic())

    async def close(self) -> None:
        """The last authorizer using this source is closing (a live reload's new one may still use it)."""
        self._users = max(self._users - 1, 0)
        if self._inflight is not None and not self._users:
            self._inflight.cancel()
            try:
                await self._inflight
            except (asyncio.CancelledError, Exception):
                pass

    async def _fetch(self) -> None:
        uri = self.jwks_uri or "(discovery)"
        try:
            uri = self.jwks_uri or await self._discover()
            keys = import_jwks(await self._get_json(uri), uri)
            if not keys:
                raise FetchError("the JWKS holds no usable signing key")
        except Exception as exc:  # any failure of the issuer or its documents: keep what we had, log it
            self.failures += 1
            log.warning("jwks.fetch_failed issuer=%s uri=%s error=%s known_keys=%d", self.issuer, uri,
                        _describe(exc), len(self.keys))
        else:
            self.keys = keys
            self.fetched_at = self.clock.monotonic()
            self.fetches += 1
            log.info("jwks.fetched issuer=%s uri=%s keys=%d kids=%s", self.issuer, uri, len(keys),
                     ",".join(sorted(keys)))
        finally:
            self._inflight = None

    async def _discover(self) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = await self._get_json(url)
        if doc.get("issuer") != self.issuer:
            raise FetchError("the discovery document names another issuer")
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise FetchError("the discovery document has no jwks_uri")
        return check_url(jwks_uri, self.settings.allow_http, "jwks_uri")

    async def _get_json(self, url: str) -> dict[str, Any]:
        cap = self.settings.max_bytes
        timeout = aiohttp.ClientTimeout(total=self.settings.fetch_timeout)
        headers = {"accept": "application/json", "accept-encoding": "identity"}
        async with self.http().get(url, timeout=timeout, headers=headers, max_redirects=3) as resp:
            if resp.status != 200:
                raise FetchError(f"HTTP {resp.status}")
            if resp.content_length is not None and resp.content_length > cap:
                raise FetchError(f"response over {cap} bytes")
            chunks, size = [], 0
            async for chunk in resp.content.iter_chunked(16_384):
                size += len(chunk)
                if size > cap:
                    raise FetchError(f"response over {cap} bytes")
                chunks.append(chunk)
            body = b"".join(chunks)
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FetchError("response is not JSON") from None
        if not isinstance(doc, dict):
            raise FetchError("response is not a JSON object")
        return doc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    return f"{type(exc).__name__}: {exc}"[:200]


PREVIOUS_KEY = "jwks_sources_before_reload"  # server/reload.py: the replaced gateway's registry, while building


def sources(extras: dict[str, Any]) -> dict[tuple[Any, ...], JwksSource]:
    """The per-process registry of key sources (kept in `services.extras`)."""
    registry: dict[tuple[Any, ...], JwksSource] = extras.setdefault("jwks_sources", {})
    return registry


def source_for(extras: dict[str, Any], issuer: str, jwks_uri: str | None, settings: JwksSettings, clock: Clock,
               http: Callable[[], aiohttp.ClientSession]) -> JwksSource:
    registry = sources(extras)
    key = (issuer, jwks_uri, settings)
    found = registry.get(key)
    if found is None:
        found = extras.get(PREVIOUS_KEY, {}).get(key)  # a live reload: the same issuer and settings keep their keys
    if found is None:
        found = JwksSource(issuer, jwks_uri, settings, clock, http)
    registry[key] = found
    return found
