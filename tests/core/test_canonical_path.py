"""The canonical path: the table of canonical_path.py, and the property that matters: for any path the
gateway accepts, an RFC 3986 normaliser (and nginx's way: merge slashes, decode once, resolve dots) reads
the forwarded path as the route the gateway matched."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import yarl
from hypothesis import example, given
from hypothesis import strategies as st

from gatepost.canonical_path import PathRejected, canonical, strip_segments
from gatepost.routing import RouteTable, parse_route_key

ROUTES = ["GET /admin", "GET /admin/{proxy+}", "GET /public/{proxy+}", "GET /a/{id}", "GET /"]


def table() -> RouteTable[str]:
    t: RouteTable[str] = RouteTable()
    for r in ROUTES:
        t.add(parse_route_key(r), r)
    return t


TABLE = table()


def route(path: str) -> str | None:
    m = TABLE.match("GET", path)
    return m.value if m is not None else None


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as the RFC writes it (the input-buffer loop), independent of the gateway's."""
    inp, out = path, ""
    while inp:
        if inp.startswith("../"):
            inp = inp[3:]
        elif inp.startswith("./"):
            inp = inp[2:]
        elif inp.startswith("/./"):
            inp = "/" + inp[3:]
        elif inp == "/.":
            inp = "/"
        elif inp.startswith("/../") or inp == "/..":
            inp = "/" + inp[4:] if inp.startswith("/../") else "/"
            out = out[: out.rfind("/")] if "/" in out else ""
        elif inp in (".", ".."):
            inp = ""
        else:
            end = inp.find("/", 1)
            seg = inp if end < 0 else inp[:end]
            out += seg
            inp = inp[len(seg):]
    return out


def rfc_normalise(raw: str) -> str:
    """Decode once, then resolve dot segments: what an RFC 3986 upstream serves."""
    return remove_dot_segments(unquote(raw, errors="strict"))


def nginx_normalise(raw: str) -> str:
    """nginx's order: decode once, merge slashes, resolve dot segments."""
    text = unquote(raw, errors="strict")
    while "//" in text:
        text = text.replace("//", "/")
    return remove_dot_segments(text)


@pytest.mark.parametrize(("raw", "decoded", "forwarded"), [
    ("/", "/", "/"),
    ("/a/b", "/a/b", "/a/b"),
    ("/a/b/", "/a/b/", "/a/b/"),
    ("/a/./b/../c", "/a/c", "/a/c"),
    ("/a/b/..", "/a/", "/a/"),
    ("/a/b/.", "/a/b/", "/a/b/"),
    ("/..", "/", "/"),
    ("/../../a", "/a", "/a"),
    ("//a///b//", "/a/b/", "/a/b/"),
    ("/a//../b", "/b", "/b"),  # slashes merged first, as nginx does
    ("/%2e%2E/.%2e/%2E./a", "/a", "/a"),
    ("/p/%7Ex%20y", "/p/~x y", "/p/%7Ex%20y"),  # the client's encoding is kept
    ("/.well-known/x", "/.well-known/x", "/.well-known/x"),
    ("/a/...", "/a/...", "/a/..."),
    ("/caf%C3%A9", "/café", "/caf%C3%A9"),
    ("/100%25", "/100%", "/100%25"),
])
def test_canonical_forms(raw: str, decoded: str, forwarded: str) -> None:
    assert canonical(raw) == (decoded, forwarded)


@pytest.mark.parametrize(("raw", "reason"), [
    ("*", "path.not_absolute"), ("", "path.not_absolute"), ("a/b", "path.not_absolute"),
    ("/a%2fb", "path.encoded_separator"), ("/a%2F..", "path.encoded_separator"), ("/a\\b", "path.encoded_separator"),
    ("/a%5cb", "path.encoded_separator"), ("/a%5C", "path.encoded_separator"),
    ("/a;b", "path.parameter"), ("/..;/a", "path.parameter"), ("/a%3bb", "path.parameter"),
    ("/%252e%252e/a", "path.double_encoded"), ("/a%2541", "path.double_encoded"),
    ("/a%", "path.bad_escape"), ("/a%2", "path.bad_escape"), ("/a%zz", "path.bad_escape"),
    ("/a%00", "path.bad_character"), ("/a%0a", "path.bad_character"), ("/a%7f", "path.bad_character"),
    ("/a%ff", "path.bad_character"), ("/a%c3", "path.bad_character"),
])
def test_ambiguous_paths_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(PathRejected) as err:
        canonical(raw)
    assert err.value.reason == reason


def test_base_path_is_removed_by_segments() -> None:
    assert strip_segments("/v1/x/y", 1) == "/x/y"
    assert strip_segments("/%761/x", 1) == "/x"
    assert strip_segments("/v1", 1) == "/"
    assert strip_segments("/v1/", 1) == "/"
    assert strip_segments("/a/b/c", 2) == "/c"
    assert strip_segments("/a/b", 0) == "/a/b"


# paths made of the pieces attacks are made of
PIECES = ["admin", "public", "a", "x", "", ".", "..", "%2e", "%2E", ".%2e", "%2e.", "%2e%2e", "...", "%2f", "%2F",
          "\\", "%5c", ";", "..;", "%3b", "%25", "%252e", "%2541", "%41dmin", "adm%69n", "%", "%zz", "%00", "%ff",
          "~", "%7e", "a%20b", "caf%C3%A9", ".hidden"]
paths = st.lists(st.sampled_from(PIECES), min_size=0, max_size=8).map(lambda segs: "/" + "/".join(segs))


@given(paths)
@example("/public/..%2fadmin")
@example("/public/%2e%2e/admin")
@example("/public/x/../../admin")
@example("//public/..//admin")
def test_the_route_matched_is_the_route_the_upstream_serves(raw: str) -> None:
    try:
        decoded, forwarded = canonical(raw)
    except PathRejected:
        return  # refused: nothing is routed or forwarded
    assert canonical(forwarded) == (decoded, forwarded)  # a fixed point
    # every normaliser reads the forwarded path as the path the gateway routed ...
    assert rfc_normalise(forwarded) == decoded
    assert nginx_normalise(forwarded) == decoded
    assert yarl.URL("http://h" + forwarded).path == decoded
    # ... so it matches the same route; and nginx reads the path as sent the same way the gateway did
    assert route(nginx_normalise(forwarded)) == route(decoded)
    assert route(nginx_normalise(raw)) == route(decoded)
