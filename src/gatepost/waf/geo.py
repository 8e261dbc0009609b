"""GeoMatchStatement: the caller's country from a MaxMind-format database the user provides (`geo_database:`,
e.g. GeoLite2-Country.mmdb). Without one, a GeoMatchStatement is refused when the config loads."""

from __future__ import annotations

from typing import Any

from gatepost.waf.inspection import Inspection
from gatepost.waf.ipsets import ForwardedIP, IPAddress, client_ip
from gatepost.waf.statements import Statement


class CountryDatabase:
    """A MaxMind DB reader, opened once at load (maxminddb reads the file into memory)."""

    def __init__(self, path: str) -> None:
        import maxminddb

        self.path = path
        self._reader: Any = maxminddb.open_database(path, maxminddb.MODE_MEMORY)

    def country(self, ip: IPAddress) -> str | None:
        record = self._reader.get(ip)
        if not isinstance(record, dict):
            return None
        for key in ("country", "registered_country"):
            entry = record.get(key)
            if isinstance(entry, dict) and isinstance(entry.get("iso_code"), str):
                return str(entry["iso_code"])
        return None

    def close(self) -> None:
        self._reader.close()


class GeoMatch(Statement):
    __slots__ = ("codes", "db", "forwarded")

    def __init__(self, codes: frozenset[str], db: CountryDatabase, forwarded: ForwardedIP | None) -> None:
        self.codes = codes
        self.db = db
        self.forwarded = forwarded

    def match(self, insp: Inspection) -> bool:
        if self.forwarded is None:
            ip = client_ip(insp)
        else:
            addresses = self.forwarded.addresses(insp)
            if addresses is None:
                return False
            ip = addresses[0]
            if ip is None:
                return self.forwarded.fallback_match
        if ip is None:
            return False
        country = insp.remember(("geo", ip), lambda: self.db.country(ip))
        return country in self.codes
