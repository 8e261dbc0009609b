"""Helpers for the Web ACL tests: build a WebAcl from AWS JSON in-process, make requests, evaluate."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from gatepost.request import GatewayRequest
from gatepost.stores.counters import Outcome, Quota
from gatepost.stores.counters_memory import MemoryCounters
from gatepost.waf.acl import WebAcl
from gatepost.waf.geo import CountryDatabase
from gatepost.waf.ipsets import parse_ip_set
from gatepost.waf.parse import Refs, compile_regex, parse_web_acl
from gatepost.waf.rules import Verdict
from gatepost.waf.spec import Node


def build_acl(acl: dict[str, Any], *, ip_sets: list[dict[str, Any]] = (), regex_sets: list[dict[str, Any]] = (),  # type: ignore[assignment]
              geo: CountryDatabase | None = None, trusted: list[str] = (), base64_strings: bool = False) -> WebAcl:  # type: ignore[assignment]
    refs = Refs(geo=geo, base64_strings=base64_strings,
                trusted=tuple(ipaddress.ip_network(n) for n in trusted))
    for s in ip_sets:
        parsed = parse_ip_set(Node(s, "IPSet"))
        refs.ip_sets[parsed.name] = parsed
    for r in regex_sets:
        refs.regex_sets[r["Name"]] = (r["Name"], tuple(compile_regex(p["RegexString"], "p")
                                                       for p in r["RegularExpressionList"]))
    return parse_web_acl(Node(acl, ""), refs, "inline", acl.get("Name", "acl"))


def request(spec: dict[str, Any]) -> GatewayRequest:
    body = spec.get("body", "").encode("utf-8")
    if "body_repeat" in spec:
        char, count = spec["body_repeat"]
        body = body + char.encode() * count
    # as the server hands them over: the bytes sent (UTF-8 here), one latin-1 character per byte
    headers = tuple((k.lower(), v.encode("utf-8").decode("latin-1")) for k, v in spec.get("headers", []))
    path = spec.get("path", "/")
    return GatewayRequest(method=spec.get("method", "GET"), path=path, raw_path=path,
                          query_string=spec.get("query", ""), headers=headers, body=body,
                          source_ip=spec.get("source_ip", "203.0.113.1"), peer_ip=spec.get("peer_ip"))


class Counting:
    """Rate rules in-process: memory counters, like one gateway process."""

    def __init__(self) -> None:
        self.counters = MemoryCounters()

    async def over(self, quota: Quota, now: float) -> bool:
        return self.counters.admit_now((), quota, now).outcome is Outcome.QUOTA_EXCEEDED

    async def used(self, quota_key: str) -> int | None:
        return await self.counters.used(quota_key)


def evaluate(acl: WebAcl, req: GatewayRequest, now: float = 1_000_000.0, counters: Any = None) -> Verdict:
    return asyncio.run(acl.evaluate(req, now, counters or Counting()))
