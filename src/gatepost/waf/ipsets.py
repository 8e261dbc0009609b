"""IP sets (`aws wafv2 get-ip-set` output) and IPSetReferenceStatement, IPv4 and IPv6.

The caller's address is `source_ip`: the socket peer, or X-Forwarded-For's client behind a trusted proxy
(server.trusted_proxies). With IPSetForwardedIPConfig the statement reads the named header instead, and only
when the socket peer is a trusted proxy: from anyone else the header is treated as absent (AWS then does not
apply the rule), so a client cannot choose the address the ACL sees.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from gatepost.waf.inspection import Inspection
from gatepost.waf.spec import Node, SpecError
from gatepost.waf.statements import Statement

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ANY_LIMIT = 10  # AWS: with Position ANY, at most the last 10 addresses of the header are inspected


@dataclass(frozen=True, slots=True)
class IPSet:
    """Networks by (version, prefix length) -> network numbers: one set lookup per prefix length in use."""

    name: str
    arn: str
    prefixes: dict[tuple[int, int], frozenset[int]]

    def __contains__(self, ip: IPAddress) -> bool:
        version, bits, number = ip.version, ip.max_prefixlen, int(ip)
        for (v, plen), nets in self.prefixes.items():  # noqa: SIM110 (a loop: cheaper than any() here)
            if v == version and (number >> (bits - plen)) in nets:
                return True
        return False


def parse_ip_set(node: Node) -> IPSet:
    """The `IPSet` object of get-ip-set output."""
    version = node.choice("IPAddressVersion", ("IPV4", "IPV6"))
    prefixes: dict[tuple[int, int], set[int]] = {}
    for item in node.need("Addresses").items():
        try:
            net = ipaddress.ip_network(item.value, strict=False)
        except (TypeError, ValueError):
            raise SpecError(item.place, f"{item.value!r} is not an address in CIDR notation",
                            'write it like "192.0.2.0/24" or "2001:db8::/32"') from None
        if f"IPV{net.version}" != version:
            raise SpecError(item.place, f"{item.value} is not an {version} address (the set's IPAddressVersion)",
                            "put IPv4 and IPv6 addresses in separate IP sets, as AWS requires")
        prefixes.setdefault((net.version, net.prefixlen), set()).add(
            int(net.network_address) >> (net.max_prefixlen - net.prefixlen))
    return IPSet(node.text("Name"), node.text("ARN", ""), {k: frozenset(v) for k, v in prefixes.items()})


@dataclass(frozen=True, slots=True)
class ForwardedIP:
    header: str
    fallback_match: bool
    position: str  # FIRST | LAST | ANY (ForwardedIPConfig: FIRST)

    def addresses(self, insp: Inspection) -> list[IPAddress | None] | None:
        """None: the header is absent (or not believable); else the inspected entries (None: not an address)."""
        values = insp.req.header_values(self.header)
        if not values or not insp.peer_trusted():
            return None
        entries = [e.strip() for v in values for e in v.split(",")]
        if self.position == "FIRST":
            entries = entries[:1]
        elif self.position == "LAST":
            entries = entries[-1:]
        else:
            entries = entries[-ANY_LIMIT:]
        out: list[IPAddress | None] = []
        for e in entries:
            try:
                out.append(ipaddress.ip_address(e))
            except ValueError:
                out.append(None)
        return out


def parse_forwarded(node: Node, with_position: bool) -> ForwardedIP:
    position = node.choice("Position", ("FIRST", "LAST", "ANY")) if with_position else "FIRST"
    fallback = node.choice("FallbackBehavior", ("MATCH", "NO_MATCH"))
    return ForwardedIP(node.text("HeaderName").lower(), fallback == "MATCH", position)


_CACHE_MAX = 4096  # recent callers' addresses per table below
T = TypeVar("T")


def _cached(table: dict[str, T], text: str, compute: Callable[[str], T]) -> T:
    """`compute(text)` once per recent address text (the tables are bounded: cleared when full)."""
    try:
        return table[text]
    except KeyError:
        pass
    if len(table) >= _CACHE_MAX:
        table.clear()
    value = table[text] = compute(text)
    return value


def _parse(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _number(text: str) -> tuple[int, int] | None:
    ip = _parse(text)
    return None if ip is None else (ip.version, int(ip))


_PARSED: dict[str, IPAddress | None] = {}  # address text -> the address (None: not an address)
_CANONICAL: dict[str, str] = {}  # address text as sent -> its one spelling (2001:DB8::1 -> 2001:db8::1)
_NUMBERS: dict[str, tuple[int, int] | None] = {}  # address text -> (version, the address as an integer)


def canonical_ip(text: str) -> str:
    """The address's canonical text (a valid address: check with client_ip first)."""
    return _cached(_CANONICAL, text, lambda t: str(ipaddress.ip_address(t)))


def client_ip(insp: Inspection) -> IPAddress | None:
    return _cached(_PARSED, insp.req.source_ip, _parse)


def address_number(text: str) -> tuple[int, int] | None:
    """(IP version, the address as an integer) of a caller's address text; None when it is not an address."""
    return _cached(_NUMBERS, text, _number)


class IPSetReference(Statement):
    __slots__ = ("forwarded", "ip_set")

    def __init__(self, ip_set: IPSet, forwarded: ForwardedIP | None) -> None:
        self.ip_set = ip_set
        self.forwarded = forwarded

    def match(self, insp: Inspection) -> bool:
        if self.forwarded is None:
            ip = client_ip(insp)
            return ip is not None and ip in self.ip_set
        addresses = self.forwarded.addresses(insp)
        if addresses is None:
            return False
        valid = [a for a in addresses if a is not None]
        if not valid:
            return self.forwarded.fallback_match
        if self.forwarded.position == "ANY":
            return any(a in self.ip_set for a in valid)
        return valid[0] in self.ip_set
