"""Typed comparisons of condition values: strings, numbers, dates, booleans, IP addresses, ARNs.

Each builder turns the policy's values (parsed once) into `matches(context_value) -> bool`, true
when the request's value matches at least one of the policy's values. A request value of the wrong
type (a non-number for Numeric*, a bad IP for IpAddress) matches nothing.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from gatepost.policy.arn import ArnPattern
from gatepost.policy.errors import PolicyError
from gatepost.policy.glob import GlobSet

Matcher = Callable[[Any], bool]
Builder = Callable[[Sequence[Any], str], Matcher]


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def string_equals(values: Sequence[Any], where: str) -> Matcher:
    wanted = frozenset(as_text(v) for v in values)
    return lambda x: as_text(x) in wanted


def string_equals_ignore_case(values: Sequence[Any], where: str) -> Matcher:
    wanted = frozenset(as_text(v).casefold() for v in values)
    return lambda x: as_text(x).casefold() in wanted


def string_like(values: Sequence[Any], where: str) -> Matcher:
    globs = GlobSet.of(as_text(v) for v in values)
    return lambda x: globs.matches(as_text(x))


def boolean(values: Sequence[Any], where: str) -> Matcher:
    wanted = frozenset(as_text(v).lower() for v in values)
    bad = wanted - {"true", "false"}
    if bad:
        raise PolicyError(f"{where}: Bool values must be true or false, got {sorted(bad)}")
    return lambda x: as_text(x).lower() in wanted


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def numeric(compare: Callable[[float, float], bool]) -> Builder:
    def build(values: Sequence[Any], where: str) -> Matcher:
        wanted = [_number(v) for v in values]
        if any(w is None for w in wanted):
            raise PolicyError(f"{where}: Numeric condition values must be numbers, got {list(values)}")
        numbers = [w for w in wanted if w is not None]

        def matches(x: Any) -> bool:
            got = _number(x)
            return got is not None and any(compare(got, w) for w in numbers)

        return matches

    return build


def parse_date(value: Any) -> float | None:
    """ISO 8601 (date or date-time; `Z` or an offset) or epoch seconds -> epoch seconds."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    number = _number(value)
    if number is not None:
        return number
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def date(compare: Callable[[float, float], bool]) -> Builder:
    def build(values: Sequence[Any], where: str) -> Matcher:
        wanted = [parse_date(v) for v in values]
        if any(w is None for w in wanted):
            raise PolicyError(f"{where}: Date condition values must be ISO 8601 dates or epoch seconds, "
                              f"got {list(values)}")
        dates = [w for w in wanted if w is not None]

        def matches(x: Any) -> bool:
            got = parse_date(x)
            return got is not None and any(compare(got, w) for w in dates)

        return matches

    return build


def ip_address(values: Sequence[Any], where: str) -> Matcher:
    try:
        networks = [ipaddress.ip_network(as_text(v).strip(), strict=False) for v in values]
    except ValueError as exc:
        raise PolicyError(f"{where}: IpAddress values must be IPv4/IPv6 addresses or CIDR blocks ({exc})") from None

    def matches(x: Any) -> bool:
        try:
            ip = ipaddress.ip_address(as_text(x).strip())
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == n.version and ip in n for n in networks)

    return matches


def arn_like(values: Sequence[Any], where: str) -> Matcher:
    patterns = [ArnPattern.of(as_text(v)) for v in values]
    return lambda x: any(p.matches(as_text(x)) for p in patterns)


def binary_equals(values: Sequence[Any], where: str) -> Matcher:
    wanted = frozenset(as_text(v) for v in values)
    return lambda x: as_text(x) in wanted
