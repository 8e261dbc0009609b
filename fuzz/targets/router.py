"""Route keys and the route table. A drawn set of route keys (parsed, or refused with RouteSyntaxError) is
compiled twice, with and without the static-route shortcut; for drawn methods and paths both must give
the same match, and a match's parameters must be the path's own segments."""

from __future__ import annotations

from fuzz.draw import Draw
from gatepost.routing import METHODS, Match, RouteSyntaxError, RouteTable, parse_route_key

SEGMENTS = ["a", "b", "pets", "{id}", "{proxy+}", "{name}", "x%2Fy", "", ".", "..", "%2e%2e", "{+}", "{}",
            "a b", "é", "{id", "id}"]
PATH_PARTS = ["a", "b", "pets", "7", "", ".", "..", "%2e", "%2F", "%25", "x%2Fy", "é", "%C3%A9", ";p=1", "\\",
              "%00", "A"]
VERBS = [*sorted(METHODS), "ANY", "get", "BREW", ""]


def _key(d: Draw) -> str:
    if d.int(12) == 0:
        return "$default" if d.bool() else d.text(40)
    path = "/" + "/".join(d.pick_or_text(SEGMENTS) for _ in range(d.int(5)))
    return f"{d.choice(VERBS)} {path}"


def _tables(d: Draw) -> tuple[RouteTable[str], RouteTable[str]]:
    fast: RouteTable[str] = RouteTable()
    slow: RouteTable[str] = RouteTable()
    for _ in range(d.int(9)):
        text = _key(d)
        try:
            key = parse_route_key(text)
            fast.add(key, text)
        except RouteSyntaxError:
            continue
        slow.add(key, text)
    slow._static.clear()  # the tree walk only
    return fast, slow


def _check_params(match: Match[str], path: str) -> None:
    segments = {s for s in path.split("/") if s}  # the router never decodes: the canonical path is its input
    for name, value in match.path_params.items():
        if name and not value:
            raise AssertionError(f"empty parameter {name!r} for {path!r}")
        if "/" not in value and value not in segments:
            raise AssertionError(f"parameter {name}={value!r} is not a segment of {path!r}")


def one_input(data: bytes) -> None:
    d = Draw(data)
    fast, slow = _tables(d)
    for _ in range(1 + d.int(4)):
        method = d.choice(VERBS[:-4])
        path = d.text(60) if d.int(5) == 0 else "/" + "/".join(d.pick_or_text(PATH_PARTS) for _ in range(d.int(6)))
        a, b = fast.match(method, path), slow.match(method, path)
        if a != b:
            raise AssertionError(f"{method} {path!r}: shortcut {a} != walk {b}")
        if a is not None:
            _check_params(a, path)
