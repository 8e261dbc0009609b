"""FieldToMatch: the request component a statement inspects, as AWS WAF names it.

Every value is a byte string held as latin-1 `str`. `UriPath` and `QueryString` are as the client sent them
(still percent-encoded: use URL_DECODE to inspect the decoded form, as on AWS). `Body` and `JsonBody` see at
most the ACL's body inspection limit (16 KB by default, as API Gateway on AWS) and follow `OversizeHandling`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import orjson

from gatepost.waf.inspection import Inspection, Values
from gatepost.waf.spec import Node, SpecError

OVERSIZE = ("CONTINUE", "MATCH", "NO_MATCH")
REFUSED = {
    "Headers": "inspect named headers with SingleHeader",
    "Cookies": "inspect the Cookie header with SingleHeader",
    "HeaderOrder": "not supported",
    "JA3Fingerprint": "TLS fingerprints are not available to the gateway",
    "JA4Fingerprint": "TLS fingerprints are not available to the gateway",
    "UriFragment": "browsers never send the fragment; not supported",
}


@dataclass(frozen=True, slots=True)
class Field:
    key: tuple[str, ...]  # names the component for the per-request memo
    read: Callable[[Inspection], Values]
    attr: str | None = None  # a single-valued component: the GatewayRequest attribute holding it (compiled.py)

    def values(self, insp: Inspection) -> Values:
        memo = insp.memo
        found = memo.get(self.key)
        if found is None:
            found = memo[self.key] = self.read(insp)
        return found


def _query_args(insp: Inspection) -> list[tuple[str, str]]:
    """(lower-case decoded name, raw value) for each query argument."""
    found = insp.memo.get("query-args")
    if found is None:
        found = insp.memo["query-args"] = [
            ((unquote_plus(name) if "%" in name or "+" in name else name).lower(), value)
            for name, _, value in (part.partition("=") for part in insp.req.query_string.split("&") if part)]
    return found


def _query_arg(insp: Inspection, arg: str) -> Values:
    query = insp.req.query_string
    if query.isascii() and "%" not in query and arg not in query.replace("+", " ").lower():
        return ()  # no argument can be named `arg` (names are only ever decoded, then lower-cased)
    return tuple([v for k, v in _query_args(insp) if k == arg])


def _body(insp: Inspection, oversize: str) -> Values:
    body = insp.req.body
    if len(body) > insp.body_limit:
        if oversize == "MATCH":
            return True
        if oversize == "NO_MATCH":
            return False
        body = body[:insp.body_limit]
    return (body.decode("latin-1"),)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    return orjson.dumps(value).decode("latin-1")


def _walk(value: Any, scope: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if scope != "VALUE":
                out.append(_scalar(k))
            _walk(v, scope, out)
    elif isinstance(value, list):
        for v in value:
            _walk(v, scope, out)
    elif scope != "KEY":
        out.append(_scalar(value))


def _pointer(doc: Any, pointer: str) -> tuple[bool, Any]:
    """RFC 6901: (found, value)."""
    if pointer == "":
        return True, doc
    cur = doc
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and token in cur:
            cur = cur[token]
        elif isinstance(cur, list) and token.isdigit() and int(token) < len(cur):
            cur = cur[int(token)]
        else:
            return False, None
    return True, cur


def _json_body(insp: Inspection, paths: tuple[str, ...] | None, scope: str, invalid: str, oversize: str) -> Values:
    raw = _body(insp, oversize)
    if isinstance(raw, bool):
        return raw
    parsed = insp.remember("json-body", lambda: _parse_json(raw[0]))
    if parsed is _INVALID:
        # AWS with no InvalidFallbackBehavior inspects up to the first parse failure; Gatepost inspects the
        # whole text then, which never inspects less (docs/web-acls.md).
        return {"MATCH": True, "NO_MATCH": False}.get(invalid, raw)
    out: list[str] = []
    for found, sub in ((True, parsed),) if paths is None else (_pointer(parsed, p) for p in paths):
        if found:
            _walk(sub, scope, out)
    return tuple(out)


_INVALID = object()


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text.encode("latin-1"))
    except orjson.JSONDecodeError:
        return _INVALID


def _json_field(node: Node) -> Field:
    pattern = node.need("MatchPattern")
    paths: tuple[str, ...] | None = None
    if pattern.get("IncludedPaths") is not None:
        paths = tuple(p.value for p in pattern.need("IncludedPaths").items())
        for i, p in enumerate(paths):
            if not isinstance(p, str) or (p and not p.startswith("/")):
                raise SpecError(pattern.at("IncludedPaths") + f"[{i}]", "an included path is a JSON Pointer",
                                'write it like "/dogs/0/name"')
    elif pattern.get("All") is None:
        raise SpecError(pattern.place, "MatchPattern needs All or IncludedPaths")
    scope = node.choice("MatchScope", ("ALL", "KEY", "VALUE"))
    invalid = node.choice("InvalidFallbackBehavior", ("MATCH", "NO_MATCH", "EVALUATE_AS_STRING"), "")  \
        if node.has("InvalidFallbackBehavior") else ""
    oversize = node.choice("OversizeHandling", OVERSIZE, "CONTINUE")
    key = ("JsonBody", str(paths), scope, invalid, oversize)
    return Field(key, lambda insp: _json_body(insp, paths, scope, invalid, oversize))


def compile_field(node: Node) -> Field:
    kind, spec = node.one_key("FieldToMatch")
    if kind == "UriPath":
        return Field(("UriPath",), lambda insp: (insp.req.raw_path,), "raw_path")
    if kind == "QueryString":
        return Field(("QueryString",), lambda insp: (insp.req.query_string,), "query_string")
    if kind == "Method":
        return Field(("Method",), lambda insp: (insp.req.method,), "method")
    if kind == "SingleHeader":
        name = spec.text("Name").lower()
        return Field(("SingleHeader", name), lambda insp: tuple(insp.req.header_values(name)))
    if kind == "SingleQueryArgument":
        arg = spec.text("Name").lower()  # AWS: the name isn't case sensitive
        return Field(("SingleQueryArgument", arg), lambda insp: _query_arg(insp, arg))
    if kind == "AllQueryArguments":
        return Field(("AllQueryArguments",), lambda insp: tuple(v for _, v in _query_args(insp)))
    if kind == "Body":
        oversize = spec.choice("OversizeHandling", OVERSIZE, "CONTINUE")
        return Field(("Body", oversize), lambda insp: _body(insp, oversize))
    if kind == "JsonBody":
        return _json_field(spec)
    if kind in REFUSED:
        raise SpecError(spec.place, f"FieldToMatch {kind} is not supported by Gatepost ({REFUSED[kind]})",
                        "see docs/web-acls.md for the supported request components")
    raise SpecError(spec.place, f"unknown FieldToMatch {kind!r}", "use one of AWS WAF's FieldToMatch members")
