"""The hot-path shortcuts give exactly the answers of the slow paths they skip."""

from __future__ import annotations

import uuid

from gatepost.routing import RouteTable, parse_route_key
from gatepost.server.ids import RequestIds

ROUTES = ["GET /a", "ANY /a/b", "POST /a/b", "GET /a/{id}", "GET /a/{id}/c", "ANY /files/{proxy+}", "GET /",
          "GET /files/static", "DELETE /x/y/z", "GET /p/{id}", "PUT /p/new"]
PATHS = ["/", "", "/a", "/a/", "/a/b", "/a/b/", "/a/x", "/a/x/c", "/a/b/c", "/files/static", "/files/static/x",
         "/files", "/x/y/z", "/x/y", "/p/new", "/p/7", "//a", "/a//b", "/a%2Fb", "/nothing", "/files/a%20b"]


def tables() -> tuple[RouteTable[str], RouteTable[str]]:
    fast: RouteTable[str] = RouteTable()
    slow: RouteTable[str] = RouteTable()
    for r in ROUTES:
        fast.add(parse_route_key(r), r)
        slow.add(parse_route_key(r), r)
    slow._static.clear()  # the walk only
    return fast, slow


def test_static_route_shortcut_matches_the_walk() -> None:
    fast, slow = tables()
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
        for path in PATHS:
            assert fast.match(method, path) == slow.match(method, path), (method, path)
    hit = fast.match("GET", "/a")
    assert hit is not None and hit.path_params == {} and hit is not fast.match("GET", "/a")  # a fresh Match


def test_request_ids_are_unique_version_4_uuids() -> None:
    ids = RequestIds()
    seen = [ids() for _ in range(1000)]
    assert len(set(seen)) == 1000
    for text in seen:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid.RFC_4122, text)
    ids.reset()
    assert ids() not in seen
