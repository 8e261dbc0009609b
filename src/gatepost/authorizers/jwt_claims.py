"""Reading verified claims (audience, scopes, groups) and rendering them as AWS does in events
(reference sections 2, 3, 7).

REST (`requestContext.authorizer.claims`): every value a string, `exp`/`iat` as Java's Date.toString
(`Sun Dec 17 07:28:12 UTC 2017`), booleans `true`/`false`, arrays comma-joined. HTTP (`...jwt.claims`):
strings as-is, numbers and booleans stringified, arrays as `[a b]`, objects as `map[k:v]`, nulls omitted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

_DAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: tuple[str, ...] = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = frozenset({"exp", "iat"})


_JAVA_DATE_RANGE = (-62_135_596_800, 253_402_300_799)  # years 1 to 9999: what gmtime and the format can show


def java_date(epoch: float) -> str:
    t = time.gmtime(epoch)
    return (f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def rest_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for name, value in claims.items():
        if value is None:
            continue
        if name in _DATE_CLAIMS and _date_number(value):
            out[name] = java_date(value)
        elif isinstance(value, list):
            out[name] = ",".join(_scalar(v) for v in value)
        else:
            out[name] = _scalar(value)
    return out


def _date_number(value: Any) -> bool:
    """A time claim java_date can render; any other value (1e300, a string) is shown as it came."""
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        _JAVA_DATE_RANGE[0] <= value <= _JAVA_DATE_RANGE[1]


def _go(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(_go(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go(value[k])}" for k in sorted(value)) + "]"
    return _scalar(value)


def http_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {name: _go(value) for name, value in claims.items() if value is not None}


def token_scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """`scope` (space separated) and `scp` (string or array), in order, without repeats."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        found.extend(s for s in items if isinstance(s, str) and s and s not in found)
    return tuple(found)


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name (`cognito:groups`, `https://x.example/groups`), else by dotted path (`realm_access.roles`)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def token_groups(claims: Mapping[str, Any], path: str) -> frozenset[str]:
    """Groups as a set: an array of strings, or one string separated by commas and/or spaces."""
    value = claim_at(claims, path)
    if isinstance(value, str):
        return frozenset(g for g in value.replace(",", " ").split() if g)
    if isinstance(value, list):
        return frozenset(g for g in value if isinstance(g, str) and g)
    return frozenset()


def audience_matches(claims: Mapping[str, Any], audiences: frozenset[str]) -> bool:
    """`aud` (string or array) any-of; `client_id` consulted only when `aud` is absent (AWS)."""
    if "aud" in claims:
        aud = claims["aud"]
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        return any(isinstance(a, str) and a in audiences for a in values)
    client_id = claims.get("client_id")
    return isinstance(client_id, str) and client_id in audiences
