"""The signature parameters of a request: from the Authorization header or the presigned query string."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from gatepost.errors import GatewayError, ResponseType
from gatepost.request import GatewayRequest
from gatepost.sigv4 import messages as msg
from gatepost.sigv4.canonical import ALGORITHM
from gatepost.sigv4.encoding import query_pairs

_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
_PRESIGN_REQUIRED: tuple[str, ...] = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                                      "X-Amz-SignedHeaders")
MAX_PRESIGN_EXPIRES = 604_800


@dataclass(frozen=True)
class SignatureParams:
    """Immutable, built on every signed request: its own __init__, which mypyc compiles (a NamedTuple's
    `__new__` and the one dataclasses generates both run interpreted)."""

    access_key: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    session_token: str | None
    presigned: bool = False
    expires: int | None = None
    query: tuple[tuple[str, str], ...] = ()  # decoded pairs that enter the canonical query

    def __init__(self, access_key: str, scope_date: str, region: str, service: str, terminator: str,
                 signed_headers: tuple[str, ...], signature: str, amz_date: str, session_token: str | None,
                 presigned: bool = False, expires: int | None = None,
                 query: tuple[tuple[str, str], ...] = ()) -> None:
        object.__setattr__(self, "access_key", access_key)
        object.__setattr__(self, "scope_date", scope_date)
        object.__setattr__(self, "region", region)
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "terminator", terminator)
        object.__setattr__(self, "signed_headers", signed_headers)
        object.__setattr__(self, "signature", signature)
        object.__setattr__(self, "amz_date", amz_date)
        object.__setattr__(self, "session_token", session_token)
        object.__setattr__(self, "presigned", presigned)
        object.__setattr__(self, "expires", expires)
        object.__setattr__(self, "query", query)

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/{self.terminator}"


def has_signature(req: GatewayRequest) -> bool:
    return "authorization" in req.header_map or "X-Amz-Algorithm=" in req.query_string or (
        "X-Amz-Signature=" in req.query_string)


def _credential(value: str) -> tuple[str, str, str, str, str]:
    parts = value.split("/")
    if len(parts) != 5 or "" in parts:
        raise msg.incomplete("credential", f"Credential should be of the form "
                                           f"'AKID/yyyymmdd/region/service/aws4_request', got a value with "
                                           f"{len(parts)} part(s).")
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _signed_headers(value: str) -> tuple[str, ...]:
    names = tuple(n.strip().lower() for n in value.split(";") if n.strip())
    if not names:
        raise msg.incomplete("signed_headers", "Authorization header requires 'SignedHeaders' parameter.")
    return tuple(sorted(names))


def _header_date(req: GatewayRequest) -> str | None:
    amz = req.header_map.get("x-amz-date")
    if amz is not None:
        return amz.strip()
    date = req.header_map.get("date")
    if date is None:
        return None
    try:
        return msg.amz_time(parsedate_to_datetime(date).timestamp())
    except (TypeError, ValueError, IndexError):
        return date.strip()


def _basic_format(amz_date: str) -> bool:
    """`YYYYMMDDTHHMMSSZ` exactly, without the regex (isdecimal is the regex's \\d: Unicode category Nd)."""
    return (len(amz_date) == 16 and amz_date[8] == "T" and amz_date[15] == "Z" and amz_date[:8].isdecimal()
            and amz_date[9:15].isdecimal())


def check_date(amz_date: str) -> str:
    if not _basic_format(amz_date) and not _AMZ_DATE.match(amz_date):  # (the regex also takes a final newline)
        raise msg.incomplete("bad_date", f"Date must be in ISO-8601 'basic format'. Got '{amz_date[:32]}'. "
                                         "See http://en.wikipedia.org/wiki/ISO_8601")
    return amz_date


@lru_cache(maxsize=1024)
def amz_epoch(amz_date: str) -> float:
    """Seconds since the epoch of a `check_date`-valid `YYYYMMDDTHHMMSSZ`; an impossible date (month 13, Feb 30)
    is the same 400 as a malformed one. Cached: the requests of one second share the value."""
    try:
        fields = (int(amz_date[0:4]), int(amz_date[4:6]), int(amz_date[6:8]), int(amz_date[9:11]),
                  int(amz_date[11:13]), int(amz_date[13:15]))
        datetime(*fields[:5])  # validates year..minute; seconds 0-61 as strptime's %S
        if fields[5] > 61:
            raise ValueError(amz_date)
    except ValueError:
        raise msg.incomplete("bad_date", f"Date must be in ISO-8601 'basic format'. Got '{amz_date[:32]}'. "
                                         "See http://en.wikipedia.org/wiki/ISO_8601") from None
    return float(calendar.timegm(fields))


@lru_cache(maxsize=1024)
def _signed_headers_cached(value: str) -> tuple[str, ...]:
    return _signed_headers(value)


# What SDKs send: `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` (one space after each
# comma, or none). A header of exactly this shape parses to the same fields as the general loop below.
_USUAL = re.compile(r"AWS4-HMAC-SHA256 Credential=([^\s,=]+), ?SignedHeaders=([^\s,=]+), ?Signature=([^\s,=]+)")
_USUAL_START = "AWS4-HMAC-SHA256 Credential="
_PLAIN = bytes(c for c in range(0x21, 0x7F) if c not in b",=")  # visible ASCII but the two separators


def _usual_fields(header: str) -> tuple[str, str, str] | None:
    """`_USUAL.fullmatch(header)`'s three groups by splitting at the commas (~15k instructions of the regex's
    character-class scan on a botocore header, a third of that here); None when this shortcut cannot tell, and
    the regex then answers (tests/iam/test_sigv4_shortcuts.py holds the two to the same answers)."""
    if not header.startswith(_USUAL_START):
        return None
    parts = header[len(_USUAL_START):].split(",")
    if len(parts) != 3:
        return None
    credential, signed, signature = parts[0], parts[1], parts[2]
    if signed.startswith(" "):
        signed = signed[1:]
    if signature.startswith(" "):
        signature = signature[1:]
    if not (signed.startswith("SignedHeaders=") and signature.startswith("Signature=")):
        return None
    signed, signature = signed[14:], signature[10:]
    # what [^\s,=]+ matches, for ASCII text: visible characters but `,` and `=` (str.isascii is a flag read;
    # bytes.translate deletes the allowed ones in one C loop); anything else goes to the regex, which decides
    values = credential + signed + signature
    if credential and signed and signature and values.isascii() and not values.encode().translate(None, _PLAIN):
        return credential, signed, signature
    return None


def _fields(header: str) -> tuple[str, dict[str, str]]:
    shortcut = _usual_fields(header)
    if shortcut is not None:
        return ALGORITHM, {"Credential": shortcut[0], "SignedHeaders": shortcut[1], "Signature": shortcut[2]}
    usual = _USUAL.fullmatch(header)
    if usual is not None:
        return ALGORITHM, {"Credential": usual[1], "SignedHeaders": usual[2], "Signature": usual[3]}
    algorithm, _, rest = header.strip().partition(" ")
    fields: dict[str, str] = {}
    for part in (p.strip() for p in rest.split(",")):
        if not part:
            continue
        name, eq, value = part.partition("=")
        if not eq:
            raise msg.not_key_value(header)
        fields[name.strip()] = value.strip()
    return algorithm, fields


def from_header(req: GatewayRequest, header: str) -> SignatureParams:
    algorithm, fields = _fields(header)
    problems = [f"Authorization header requires '{n}' parameter." for n in ("Credential", "Signature", "SignedHeaders")
                if not fields.get(n)]
    amz_date = _header_date(req)
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise msg.incomplete("incomplete", " ".join(problems))
    if algorithm != ALGORITHM:
        raise msg.incomplete("algorithm", f"Unsupported AWS 'algorithm': '{algorithm[:32]}'. "
                                          f"Use '{ALGORITHM}'.")
    assert amz_date is not None
    key, date, region, service, terminator = _credential(fields["Credential"])
    signature = fields["Signature"].lower()
    token = req.header_map.get("x-amz-security-token")
    return SignatureParams(key, date, region, service, terminator, _signed_headers_cached(fields["SignedHeaders"]),
                           signature, check_date(amz_date), token, query=tuple(req.query))


def from_query(req: GatewayRequest) -> SignatureParams:
    pairs = query_pairs(req.query_string)
    values = dict(pairs)
    missing = [n for n in _PRESIGN_REQUIRED if not values.get(n)]
    if missing:
        names = ", ".join(f"'{n}'" for n in missing)
        raise msg.incomplete("presign_incomplete", f"AWS query-string parameters must include {names}. "
                                                   "Re-examine the query-string parameters.")
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise msg.incomplete("algorithm", f"X-Amz-Algorithm only supports '{ALGORITHM}'.")
    expires = _expires(values.get("X-Amz-Expires"))
    key, date, region, service, terminator = _credential(values["X-Amz-Credential"])
    unsigned = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
    return SignatureParams(key, date, region, service, terminator, _signed_headers(values["X-Amz-SignedHeaders"]),
                           values["X-Amz-Signature"].lower(), check_date(values["X-Amz-Date"]),
                           values.get("X-Amz-Security-Token") or req.header_map.get("x-amz-security-token"),
                           presigned=True, expires=expires, query=tuple(unsigned))


def _expires(raw: str | None) -> int:
    if raw is None:
        return 900  # Gatepost: 15 minutes when X-Amz-Expires is absent
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PRESIGN_EXPIRES:
        raise msg.incomplete("presign_expires", "X-Amz-Expires must be a whole number of seconds between 1 and "
                                                f"{MAX_PRESIGN_EXPIRES}.")
    return int(raw)


def parse(req: GatewayRequest) -> SignatureParams:
    header = req.header_map.get("authorization")
    if header is not None:
        return from_header(req, header)
    return from_query(req)


def authorization_error(req: GatewayRequest) -> GatewayError | None:
    """The IncompleteSignatureException AWS answers for an Authorization header that is not a well-formed
    SigV4 header (e.g. `Bearer ...`), or None. Used on unmatched routes of REST APIs (reference 4.4)."""
    header = req.header_map.get("authorization")
    if header is None:
        return None
    try:
        from_header(req, header)
    except GatewayError as err:
        if err.type is ResponseType.INCOMPLETE_SIGNATURE:
            return err
    return None
