from __future__ import annotations

import pytest

from gatepost.routing import RouteSyntaxError, RouteTable, parse_route_key


def table(*keys: str) -> RouteTable[str]:
    t: RouteTable[str] = RouteTable()
    for k in keys:
        t.add(parse_route_key(k), k)
    return t


@pytest.mark.parametrize(
    ("method", "path", "expected", "params"),
    [
        ("GET", "/pets", "GET /pets", {}),
        ("GET", "/pets/", "GET /pets", {}),
        ("GET", "/pets/42", "GET /pets/{id}", {"id": "42"}),
        ("GET", "/pets/mine", "GET /pets/mine", {}),  # literal beats {param}
        ("POST", "/pets/42", "ANY /pets/{id}", {"id": "42"}),  # ANY catches other verbs
        ("GET", "/pets/42/toys/7", "ANY /{proxy+}", {"proxy": "pets/42/toys/7"}),
        ("DELETE", "/pets", "ANY /{proxy+}", {"proxy": "pets"}),  # no DELETE on /pets: greedy catches it
        ("GET", "/", "GET /", {}),
        ("GET", "/pets/a b", "GET /pets/{id}", {"id": "a b"}),  # the router sees the decoded canonical path
        ("GET", "/pets/100%41", "GET /pets/{id}", {"id": "100%41"}),  # ... and never decodes it again
        ("GET", "/pets/100%25", "GET /pets/{id}", {"id": "100%25"}),
    ],
)
def test_most_specific_route_wins(method: str, path: str, expected: str, params: dict[str, str]) -> None:
    t = table("GET /", "GET /pets", "GET /pets/{id}", "ANY /pets/{id}", "GET /pets/mine", "ANY /{proxy+}")
    m = t.match(method, path)
    assert m is not None
    assert m.value == expected
    assert m.path_params == params


def test_no_match_without_catch_all() -> None:
    t = table("GET /pets", "GET /pets/{id}")
    assert t.match("POST", "/pets") is None  # AWS never answers 405
    assert t.match("GET", "/dogs") is None
    assert t.match("GET", "/") is None
    assert t.match("GET", "/pets/1/2") is None


def test_greedy_needs_at_least_one_segment() -> None:
    t = table("ANY /files/{path+}")
    assert t.match("GET", "/files") is None
    m = t.match("GET", "/files/a/b.txt")
    assert m is not None and m.path_params == {"path": "a/b.txt"}


def test_default_route_is_last_resort() -> None:
    t = table("GET /pets", "$default")
    assert t.match("GET", "/pets").value == "GET /pets"  # type: ignore[union-attr]
    assert t.match("PUT", "/anything/else").value == "$default"  # type: ignore[union-attr]


def test_param_then_literal_backtracks() -> None:
    t = table("GET /{a}/x", "GET /b/y")
    m = t.match("GET", "/b/x")
    assert m is not None and m.value == "GET /{a}/x" and m.path_params == {"a": "b"}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (("GET /pets", "GET /pets"), "declared twice"),
        (("GET /pets/{id}", "GET /pets/{petId}"), "ambiguous"),
        (("GET /pets/{id}", "POST /pets/{name}/x"), "ambiguous"),
        (("ANY /{proxy+}", "GET /{other+}"), "ambiguous"),
    ],
)
def test_duplicate_and_ambiguous_routes_are_refused(keys: tuple[str, ...], message: str) -> None:
    with pytest.raises(RouteSyntaxError, match=message):
        table(*keys)


@pytest.mark.parametrize("bad", ["FETCH /x", "GET x", "GET /{proxy+}/more", "GET /a{b}", "GET /{}",
                                 "ANY /{name}/{name}/x", "GET /{id}/{id+}"])  # a name twice: found by fuzz/
def test_bad_route_keys(bad: str) -> None:
    with pytest.raises(RouteSyntaxError):
        parse_route_key(bad)
