"""The request head, read once into what every later stage trusts: the server calls `HeadReader.read`.

What it enforces (docs/security.md has the why):

- only HTTP/1.0 and HTTP/1.1 (llhttp also parses 0.9 and 2.0 request lines): 400 otherwise;
- exactly one `Host`, well formed, HTTP/1.0 included (stricter than RFC 9112, which requires it of 1.1
  only); an absolute-form target (`GET http://host/x`) whose authority is not that Host, or that carries
  user info: 400;
- no fragment in the target, and the path canonical (canonical_path.py): routed and forwarded as one form;
- header values trimmed of surrounding spaces and tabs (RFC 9110 section 5.5) before anything reads them;
- one credential, one meaning: `Authorization`, `X-Api-Key`, `X-Amz-Date`, `X-Amz-Security-Token`,
  `X-Amz-Content-Sha256`, every header an authorizer of this config reads, every query parameter one
  reads and SigV4's `X-Amz-*` query parameters given twice: 400 before any authorizer runs;
- headers a client must not set are dropped: the identity prefix (`X-Gatepost-`) and path or method
  override headers (`X-Original-URL`, `X-HTTP-Method-Override`, ...) always; client-address headers
  (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`, `True-Client-IP`, ...) unless the peer is a trusted
  proxy; and any of these, or of the credential headers, spelled with `_` for `-` (CGI-style servers
  read `X_Gatepost_Principal_Id` as `X-Gatepost-Principal-Id`).

Every refusal is AWS's JSON 400 (`{"message": "Bad Request"}`, BadRequestException) with its own reason
code, and the connection closes after it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from httptools import parse_url

from gatepost.canonical_path import PathRejected, canonical
from gatepost.errors import GatewayError, ResponseType

Headers = tuple[tuple[str, str], ...]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CREDENTIAL_HEADERS = frozenset({
    "authorization", "x-api-key", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
})
CLIENT_ADDRESS_HEADERS = frozenset({
    "forwarded", "x-forwarded", "forwarded-for", "x-real-ip", "true-client-ip", "x-client-ip",
    "x-cluster-client-ip", "client-ip", "cf-connecting-ip", "fastly-client-ip", "x-originating-ip",
    "x-remote-ip", "x-remote-addr",
})  # and every `x-forwarded-*`
OVERRIDE_HEADERS = frozenset({
    "x-original-url", "x-original-uri", "x-rewrite-url", "x-override-url",
    "x-http-method-override", "x-http-method", "x-method-override",
})

# what a header name is to the reader (kinds other than PLAIN are looked at)
PLAIN, HOST, CREDENTIAL, CLIENT_ADDRESS, DROPPED = range(5)
_MEMO_MAX = 4096
_PLANS_MAX = 1024  # head plans kept, each for a sequence of header names of at most _PLAN_KEY_MAX bytes
_PLAN_KEY_MAX = 1024
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,=%-]+)(?::[0-9]{1,5})?")


def bad_request(reason: str) -> GatewayError:
    return GatewayError(ResponseType.BAD_REQUEST_PARAMETERS, reason, "Bad Request")


class HeadPlan:
    """What the reader does with one sequence of header names (as sent) from a trusted or untrusted peer:
    decided once and memoised (a client sends the same names request after request), so a request's
    headers are read with one comprehension instead of a branch per header."""

    __slots__ = ("error", "expects", "host", "keep", "lengths", "names", "trusted")

    def __init__(self, names: tuple[str, ...], keep: tuple[int, ...] | None, host: int, error: str | None,
                 lengths: tuple[int, ...], expects: tuple[int, ...], trusted: bool) -> None:
        self.names = names  # lower-case, one per header as sent
        self.keep = keep  # the indexes of the headers kept (None: all of them)
        self.host = host  # the index of Host (-1: none)
        self.error = error  # the refusal the names alone decide (Host missing or repeated, a repeated credential)
        self.lengths = lengths  # the indexes of Content-Length (checked against max_body_bytes before the body)
        self.expects = expects  # the indexes of Expect (100-continue)
        self.trusted = trusted  # the peer is a trusted proxy: its client-address headers are kept


class HeadReader:
    """Built once per gateway (the identity prefix, the credential names of its authorizers, the trusted
    proxies); `read` runs once per request."""

    def __init__(self, prefix: str, *, credential_headers: Iterable[str] = (),
                 credential_query: Iterable[str] = (), trusted: Sequence[Network] = ()) -> None:
        self.prefix = prefix.lower()
        self.credential_headers = CREDENTIAL_HEADERS | {h.lower() for h in credential_headers}
        self.credential_query = frozenset(credential_query)
        self.trusted = tuple(trusted)
        self._kinds: dict[bytes, tuple[str, int]] = {}
        self._plans: dict[tuple[bytes, ...], HeadPlan] = {}  # for untrusted peers
        self._plans_trusted: dict[tuple[bytes, ...], HeadPlan] = {}
        self._hosts: dict[str, bool] = {}
        self._peers: dict[str, bool] = {}

    # -- names ---------------------------------------------------------------------------------------
    def kind(self, name: str) -> int:
        """What the reader does with a (lower-case) header name."""
        if name == "host":
            return HOST
        if name in self.credential_headers:
            return CREDENTIAL
        if self._sensitive(name) == DROPPED:
            return DROPPED
        if name in CLIENT_ADDRESS_HEADERS or name.startswith("x-forwarded-"):
            return CLIENT_ADDRESS
        if "_" in name and self._sensitive(name.replace("_", "-")) != PLAIN:
            return DROPPED  # another spelling of a name the reader guards
        return PLAIN

    def _sensitive(self, name: str) -> int:
        if name.startswith(self.prefix) or name in OVERRIDE_HEADERS:
            return DROPPED
        if name in self.credential_headers or name == "host":
            return CREDENTIAL
        if name in CLIENT_ADDRESS_HEADERS or name.startswith("x-forwarded-"):
            return CLIENT_ADDRESS
        return PLAIN

    def _learn(self, raw: bytes) -> tuple[str, int]:
        name = raw.decode("latin-1").lower()
        info = (name, self.kind(name))
        if len(self._kinds) < _MEMO_MAX:
            self._kinds[raw] = info
        return info

    # -- the header names ----------------------------------------------------------------------------
    def plan(self, raw_headers: Sequence[tuple[bytes, bytes]], peer: str) -> HeadPlan:
        """The plan for these header names from this peer (the server asks once the head is in)."""
        trusted = self._trusted(peer) if self.trusted else False
        key = tuple([raw for raw, _ in raw_headers])
        memo = self._plans_trusted if trusted else self._plans
        plan = memo.get(key)
        if plan is None:
            plan = self._plan(key, trusted)
            if len(memo) < _PLANS_MAX and sum(map(len, key)) <= _PLAN_KEY_MAX:
                memo[key] = plan
        return plan

    def _plan(self, raws: tuple[bytes, ...], trusted: bool) -> HeadPlan:
        names: list[str] = []
        keep: list[int] = []
        host = -1
        error: str | None = None
        seen: set[str] = set()
        lengths: list[int] = []
        expects: list[int] = []
        for i, raw in enumerate(raws):
            name, kind = self._kinds.get(raw) or self._learn(raw)
            names.append(name)
            if name == "content-length":
                lengths.append(i)
            elif name == "expect":
                expects.append(i)
            if kind == DROPPED or (kind == CLIENT_ADDRESS and not trusted):
                continue
            if kind == HOST:
                if host >= 0 and error is None:
                    error = "request.host_repeated"
                host = i
            elif kind == CREDENTIAL:
                if name in seen and error is None:
                    error = "request.credential_repeated"
                seen.add(name)
            keep.append(i)
        if host < 0 and error is None:  # required of HTTP/1.0 as well, stricter than RFC 9112 section 3.2 (1.1 only)
            error = "request.host_missing"
        return HeadPlan(tuple(names), None if len(keep) == len(raws) else tuple(keep), host, error,
                        tuple(lengths), tuple(expects), trusted)

    # -- the request ---------------------------------------------------------------------------------
    def read(self, version: str, target: bytes, raw_headers: Sequence[tuple[bytes, bytes]],
             peer: str, plan: HeadPlan | None = None) -> tuple[str, str, str, Headers, str, str]:
        """(path, raw path, query string, headers, host, source ip): canonical path, lower-case header
        names, trimmed values, without the headers the client must not set. Raises GatewayError (400).
        `plan`: this reader's plan for these headers from this peer, when the caller has it already."""
        if version != "1.1" and version != "1.0":
            raise bad_request("request.http_version")
        if plan is None:
            plan = self.plan(raw_headers, peer)
        if plan.error is not None:
            raise bad_request(plan.error)
        values = [value.strip().decode("latin-1") for _, value in raw_headers]  # RFC 9110 5.5: no surrounding OWS
        names = plan.names
        if plan.keep is None:
            headers = tuple(zip(names, values, strict=True))
        else:
            headers = tuple([(names[i], values[i]) for i in plan.keep])
        host = values[plan.host]
        if not (self._hosts.get(host) or self._valid_host(host)):
            raise bad_request("request.host_invalid")
        if target[:1] == b"/" and b"#" not in target:  # origin form, the usual case
            path_bytes, _, query_bytes = target.partition(b"?")
            raw_path, query = path_bytes.decode("latin-1"), query_bytes.decode("latin-1")
        else:
            raw_path, query = self._target(target, host)
        try:
            path, raw_path = canonical(raw_path)
        except PathRejected as exc:
            raise bad_request(exc.reason) from None
        if query and (self.credential_query or "amz-" in query.lower()):
            self._check_query(query)
        return path, raw_path, query, headers, host, self._source(peer, headers) if plan.trusted else peer

    def _target(self, target: bytes, host: str) -> tuple[str, str]:
        """The path (as sent) and the query string of an origin-form or absolute-form target."""
        if b"#" in target:
            raise bad_request("request.fragment")  # never sent by a client (RFC 9112 section 3.2)
        if target == b"*":
            raise bad_request("path.not_absolute")
        try:
            # Any: httptools' stub types port, userinfo, path and query as never None, which they are when
            # absent, and the compiled module would insist on the stub's types
            url: Any = parse_url(target)
        except Exception:
            raise bad_request("request.bad_target") from None
        authority = (url.host or b"").decode("latin-1") + (f":{url.port}" if url.port is not None else "")
        if url.userinfo or url.schema not in (b"http", b"https") or authority.lower() != host.lower():
            raise bad_request("request.authority_mismatch")
        return (url.path or b"/").decode("latin-1"), (url.query or b"").decode("latin-1")

    def _check_query(self, query: str) -> None:
        names: set[str] = set()
        for name, _ in parse_qsl(query, keep_blank_values=True):
            if name in self.credential_query or name.lower().startswith("x-amz-"):
                if name.lower() in names:
                    raise bad_request("request.credential_repeated")
                names.add(name.lower())

    def _valid_host(self, host: str) -> bool:
        known = self._hosts.get(host)
        if known is None:
            known = _HOST.fullmatch(host) is not None
            if len(self._hosts) < _MEMO_MAX:
                self._hosts[host] = known
        return known

    # -- the client's address ------------------------------------------------------------------------
    def trusts(self, peer: str) -> bool:
        """Whether a socket peer is a trusted proxy (`server.trusted_proxies`): its forwarding headers and
        its `traceparent` are believed (tracing/tracer.py)."""
        return bool(self.trusted) and self._trusted(peer)

    def _trusted(self, addr: str) -> bool:
        known = self._peers.get(addr)
        if known is None:
            known = self._is_trusted(addr)
            if len(self._peers) < _MEMO_MAX:
                self._peers[addr] = known
        return known

    def _is_trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def _source(self, peer: str, headers: Headers) -> str:
        """Behind a trusted proxy, the caller is the last address in X-Forwarded-For it did not add itself."""
        chain = [a.strip() for k, v in headers if k == "x-forwarded-for" for a in v.split(",") if a.strip()]
        for addr in reversed(chain):
            if not self._trusted(addr):
                return addr
        return chain[0] if chain else peer

