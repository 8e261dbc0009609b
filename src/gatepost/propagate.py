"""Identity to the upstream: headers under one reserved prefix (default `X-Gatepost-`), set or cleared.

Every incoming header with the prefix is dropped first, so a client can never forge identity. Then:

| header | value |
|---|---|
| `{P}Request-Id` | the gateway's request id |
| `{P}Authorizer`, `{P}Auth-Type` | the authorizer's name and kind (`none` on public routes) |
| `{P}Principal-Id` | principal id (percent-encoded when not plain ASCII) |
| `{P}Claims` | verified JWT claims, base64url(JSON), no padding |
| `{P}Scopes` | the token's scopes, space separated |
| `{P}Context` | the Lambda authorizer context, base64url(JSON) |
| `{P}Context-{Key}` | one header per context key whose name is letters, digits, `-`, `_` and value ASCII |
| `{P}Caller-Arn`, `{P}Account-Id`, `{P}Access-Key-Id` | the SigV4 caller (iam) |
| `{P}Api-Key-Id` | the id (never the value) of the API key that was checked |
"""

from __future__ import annotations

import binascii
import re
from typing import Any
from urllib.parse import quote

import orjson

from gatepost.decision import ANONYMOUS, Decision
from gatepost.integrations.http_proxy import HOP_BY_HOP, strip_hop_by_hop
from gatepost.integrations.outbound import Outbound
from gatepost.matching import Match
from gatepost.request import GatewayRequest

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64json(value: Any) -> str:
    """base64url(JSON), no padding: binascii directly (base64.urlsafe_b64encode is two Python calls around it)."""
    return binascii.b2a_base64(orjson.dumps(value, default=str), newline=False).translate(_TO_URLSAFE) \
        .rstrip(b"=").decode()


# Claims of a cached token and the context of a cached Lambda result are the same objects request after
# request: their headers are built once per object (identity, not equality: held here so the id stays theirs;
# principals' mappings are never mutated after an authorizer made them).
_MEMO_MAX = 4096
_memo: dict[tuple[int, str, str], tuple[Any, list[tuple[str, str]]]] = {}


def _memoized(kind: str, value: Any, prefix: str) -> list[tuple[str, str]]:
    key = (id(value), kind, prefix)
    hit = _memo.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    headers = [(prefix + "claims", b64json(value))] if kind == "claims" else _context_headers(value, prefix)
    if len(_memo) >= _MEMO_MAX:
        _memo.clear()
    _memo[key] = (value, headers)
    return headers


def _context_headers(context: Any, prefix: str) -> list[tuple[str, str]]:
    out = [(prefix + "context", b64json(context))]
    for key, value in context.items():
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        if _TOKEN.match(key) and _ascii(text):
            out.append((prefix + "context-" + key.lower(), text))
    return out


def _ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


def strip_reserved(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if not k.startswith(prefix)]


# an anonymous caller's headers (public routes) only vary by request id: the rest is built once per
# (authorizer, kind, prefix), all three from the config
_anonymous: dict[tuple[str, str, str], tuple[str, list[tuple[str, str]]]] = {}


def _anonymous_headers(decision: Decision, prefix: str) -> tuple[str, list[tuple[str, str]]]:
    key = (decision.authorizer, decision.kind, prefix)
    hit = _anonymous.get(key)
    if hit is None:
        hit = _anonymous[key] = (prefix + "request-id", [(prefix + "authorizer", decision.authorizer or "-"),
                                                           (prefix + "auth-type", decision.kind)])
    return hit


def identity_headers(req: GatewayRequest, decision: Decision, prefix: str) -> list[tuple[str, str]]:
    p = decision.principal
    if p is ANONYMOUS:
        name, fixed = _anonymous_headers(decision, prefix)
        return [(name, req.request_id), *fixed]
    out = [(prefix + "request-id", req.request_id),
           (prefix + "authorizer", decision.authorizer or "-"),
           (prefix + "auth-type", decision.kind)]
    if p.principal_id is not None:
        pid = p.principal_id if _ascii(p.principal_id) else quote(p.principal_id, safe="")
        out.append((prefix + "principal-id", pid))
    if p.claims is not None:
        out += _memoized("claims", p.claims, prefix)
    if p.scopes:
        out.append((prefix + "scopes", " ".join(p.scopes)))
    if p.context:
        out += _memoized("context", p.context, prefix)
    if p.iam is not None:
        out += [(prefix + "caller-arn", p.iam.caller_arn), (prefix + "account-id", p.iam.account_id),
                (prefix + "access-key-id", p.iam.access_key)]
    if p.api_key_id is not None:
        out.append((prefix + "api-key-id", p.api_key_id))
    return out


def outbound(req: GatewayRequest, match: Match, decision: Decision, prefix: str) -> Outbound:
    """`prefix` is lower-case (header names are compared lower-case)."""
    if "connection" in req.header_map:  # it may name more headers to drop
        client = strip_hop_by_hop(strip_reserved(req.headers, prefix))
    else:
        client = [(k, v) for k, v in req.headers if k not in HOP_BY_HOP and not k.startswith(prefix)]
    return Outbound(req, match, decision, client + identity_headers(req, decision, prefix), client)
