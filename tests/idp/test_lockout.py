"""Lock-out after failed sign-ins: temporary, escalating, capped, per source address (a stranger cannot lock
the user out), and no user enumeration: an unknown user and a wrong password get the same answer, the same
lock-out and the same work. Time moves only with the injected clock."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests
from idp_kit import APP, PASSWORD, Idp, config, running_idp

from gatepost.idp.housekeeping import prune
from gatepost.idp.lockout import ATTEMPTS
from support import Upstream

TRUSTED = "server: {trusted_proxies: [127.0.0.1/32]}\n"  # X-Forwarded-For names the caller (a test stand-in)


@pytest.fixture
def proxied(master_key: bytes, upstream: Upstream) -> Iterator[Idp]:
    with running_idp(upstream.url, text=TRUSTED + config(upstream.url)) as world:
        world.create_user("alice")
        yield world


def attempt(idp: Idp, username: str, password: str, source: str = "10.0.0.5") -> tuple[int, dict[str, Any]]:
    r = requests.post(idp.endpoint, timeout=10, data=orjson.dumps({
        "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": APP,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password}}), headers={
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
        "content-type": "application/x-amz-json-1.1", "x-forwarded-for": source})
    return r.status_code, r.json()


LOCKED = (400, {"__type": "NotAuthorizedException", "message": "Password attempts exceeded"})
WRONG = (400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."})


def _fail(idp: Idp, n: int, source: str = "10.0.0.5", user: str = "alice") -> None:
    for _ in range(n):
        assert attempt(idp, user, "Wrong-Pass-1", source) == WRONG


def test_lock_after_failures_is_temporary_and_scoped_to_the_source(proxied: Idp) -> None:
    _fail(proxied, 3)
    assert attempt(proxied, "alice", PASSWORD) == LOCKED  # even the right password, from that address
    status, body = attempt(proxied, "alice", PASSWORD, source="192.0.2.10")  # the user, elsewhere
    assert status == 200 and body["AuthenticationResult"]["AccessToken"]
    proxied.clock.advance(59)
    assert attempt(proxied, "alice", PASSWORD) == LOCKED
    proxied.clock.advance(1)
    assert attempt(proxied, "alice", PASSWORD)[0] == 200  # the lock ended; success forgets the failures
    _fail(proxied, 2)
    assert attempt(proxied, "alice", PASSWORD)[0] == 200  # 2 < 3 failures: no lock


def test_locks_escalate_up_to_the_cap_and_hammering_does_not_extend_them(proxied: Idp) -> None:
    _fail(proxied, 3)
    seen = []
    for _ in range(6):
        for _ in range(5):  # attempts during a lock are refused unchecked and not counted
            assert attempt(proxied, "alice", "Wrong-Pass-1") == LOCKED
        waited = 0
        while attempt(proxied, "alice", "Wrong-Pass-1") == LOCKED:
            proxied.clock.advance(30)
            waited += 30
        seen.append(waited)  # that last attempt was a counted failure: the next, longer lock starts
    assert seen == [60, 120, 240, 480, 600, 600]  # doubling, capped at max_lock_seconds
    proxied.clock.advance(600 + 3600)
    assert attempt(proxied, "alice", PASSWORD)[0] == 200


def test_unknown_user_and_wrong_password_look_the_same(proxied: Idp) -> None:
    assert attempt(proxied, "alice", "Wrong-Pass-1", "10.0.1.1") == attempt(proxied, "nobody", "Wrong-Pass-1",
                                                                             "10.0.1.2") == WRONG
    _fail(proxied, 3, "10.0.2.1", user="nobody")
    assert attempt(proxied, "nobody", PASSWORD, "10.0.2.1") == LOCKED  # unknown users lock like real ones
    known, unknown = [], []
    for i in range(15):
        for user, times in (("alice", known), ("nobody", unknown)):
            started = time.perf_counter()
            assert attempt(proxied, user, "Wrong-Pass-1", f"10.{len(user)}.{i}.{len(times)}") == WRONG
            times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    # no hashing for unknown users would show as a ratio near 0.1; the wide band absorbs a loaded machine
    assert 0.4 < ratio < 2.5, (statistics.median(known), statistics.median(unknown))


def test_disabled_user_is_told_only_after_the_right_password(proxied: Idp) -> None:
    core = proxied.pools.core
    core.users.set_enabled(core.by_id["us-east-1_TestPool1"], "alice", False, now=proxied.clock.now())
    assert attempt(proxied, "alice", "Wrong-Pass-1") == WRONG
    assert attempt(proxied, "alice", PASSWORD) == (400, {"__type": "NotAuthorizedException",
                                                          "message": "User is disabled."})


def test_failed_attempts_of_strangers_do_not_pile_up(proxied: Idp) -> None:
    for i in range(5):
        assert attempt(proxied, f"ghost{i}", "Wrong-Pass-1", f"10.9.0.{i}") == WRONG
    catalog, pools = proxied.catalog, proxied.pools.core.pools.values()
    assert len(catalog.list(ATTEMPTS)) == 5
    assert prune(catalog, pools, proxied.clock.now() + 3599) == 0  # remembered for forget_after_seconds
    assert prune(catalog, pools, proxied.clock.now() + 3600) == 5
    assert catalog.list(ATTEMPTS) == []
