"""The request head's memoised plans (request_head.py `HeadPlan`) decide exactly what a header-by-header
reading decides: for generated header sections (the names a hostile client would mix: Host, credentials,
reserved and client-address headers in every spelling, repeats, odd spacing) from trusted and untrusted
peers, read once (a plan is made) and again (the memoised plan is used), the outcome is the reference's."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.errors import GatewayError
from gatepost.request_head import CLIENT_ADDRESS, CREDENTIAL, DROPPED, HOST, HeadReader

NAMES = [b"Host", b"host", b"HOST", b"Authorization", b"authorization", b"X-Api-Key", b"x-amz-date",
         b"X-Tenant", b"x-tenant", b"X-Gatepost-Principal-Id", b"X_Gatepost_Principal_Id", b"X-Forwarded-For",
         b"x-forwarded-proto", b"Forwarded", b"X-Real-IP", b"X-Original-URL", b"X_Api_Key", b"Accept",
         b"User-Agent", b"Content-Length", b"Expect", b"Cookie", b"X-Custom"]
VALUES = [b"a.example", b"  b.example  ", b"Bearer x", b"Bearer x \t", b"10.0.0.9", b"", b"100-continue", b"2"]
PEERS = ["127.0.0.1", "10.1.2.3"]  # the second is a trusted proxy


def reader() -> HeadReader:
    return HeadReader("X-Gatepost-", credential_headers=["x-tenant"], credential_query=["ticket"],
                      trusted=[ipaddress.ip_network("10.0.0.0/8")])


def reference(head: HeadReader, raw_headers: list[tuple[bytes, bytes]], peer: str) -> tuple[object, ...]:
    """A header-by-header reading: the rules as docs/security.md states them, one branch per header."""
    trusted = head.trusts(peer)
    headers: list[tuple[str, str]] = []
    host = None
    seen: set[str] = set()
    for raw, value in raw_headers:
        name = raw.decode("latin-1").lower()
        kind = head.kind(name)
        if kind == DROPPED or (kind == CLIENT_ADDRESS and not trusted):
            continue
        if kind == HOST:
            if host is not None:
                return ("refused", "request.host_repeated")
            host = value.strip().decode("latin-1")
        elif kind == CREDENTIAL:
            if name in seen:
                return ("refused", "request.credential_repeated")
            seen.add(name)
        headers.append((name, value.strip().decode("latin-1")))
    if host is None:
        return ("refused", "request.host_missing")
    if not head._valid_host(host):
        return ("refused", "request.host_invalid")
    return ("read", tuple(headers), host)


def read(head: HeadReader, raw_headers: list[tuple[bytes, bytes]], peer: str, planned: bool) -> tuple[object, ...]:
    plan = head.plan(raw_headers, peer) if planned else None
    try:
        _, _, _, headers, host, _ = head.read("1.1", b"/x", raw_headers, peer, plan)
    except GatewayError as err:
        return ("refused", err.reason)
    return ("read", headers, host)


@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)), max_size=12), st.sampled_from(PEERS))
def test_a_plan_reads_as_the_header_by_header_rules_do(raw: list[tuple[bytes, bytes]], peer: str) -> None:
    head = reader()
    expected = reference(head, raw, peer)
    assert read(head, raw, peer, planned=False) == expected  # the plan made by read itself
    assert read(head, raw, peer, planned=True) == expected  # made by plan(), as the server does
    assert read(head, raw, peer, planned=False) == expected  # the memoised plan


def test_the_same_names_from_a_trusted_and_an_untrusted_peer_have_their_own_plans() -> None:
    head = reader()
    raw = [(b"Host", b"a.example"), (b"X-Forwarded-For", b"203.0.113.7")]
    assert read(head, raw, "127.0.0.1", planned=True) == ("read", (("host", "a.example"),), "a.example")
    assert read(head, raw, "10.1.2.3", planned=True) == \
        ("read", (("host", "a.example"), ("x-forwarded-for", "203.0.113.7")), "a.example")
    assert read(head, raw, "127.0.0.1", planned=True) == ("read", (("host", "a.example"),), "a.example")


def test_plans_are_bounded_and_long_names_are_not_kept() -> None:
    head = reader()
    for i in range(1500):
        head.plan([(b"Host", b"a"), (f"X-Name-{i}".encode(), b"v")], "127.0.0.1")
    head.plan([(b"Host", b"a"), (b"X-" + b"n" * 2000, b"v")], "10.1.2.3")
    assert len(head._plans) == 1024 and head._plans_trusted == {}


@pytest.mark.parametrize(("raw", "lengths", "expects"), [
    ([(b"Host", b"a"), (b"Content-Length", b"5")], (1,), ()),
    ([(b"Expect", b"100-continue"), (b"Host", b"a"), (b"content-length", b"1")], (2,), (0,)),
    ([(b"Host", b"a")], (), ()),
])
def test_a_plan_points_at_the_length_and_expect_headers(raw: list[tuple[bytes, bytes]], lengths: tuple[int, ...],
                                                        expects: tuple[int, ...]) -> None:
    plan = reader().plan(raw, "127.0.0.1")
    assert (plan.lengths, plan.expects) == (lengths, expects)
