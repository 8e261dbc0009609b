"""A Lambda authorizer that raises SystemExit, KeyboardInterrupt or any BaseException, recurses without end or
blocks forever costs its request AWS's 500 (fail closed, never the upstream), and the gateway goes on serving."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lakit import AUTHORIZERS, rest_config

from support import RunningGateway, Upstream, run_gateway, run_upstream


@pytest.fixture(scope="module")
def up() -> Iterator[Upstream]:
    with run_upstream() as running:
        yield running


@pytest.fixture(scope="module", params=["failing:handler", "failing:async_handler"])
def gw(request: pytest.FixtureRequest, up: Upstream) -> Iterator[RunningGateway]:
    auth = f'{{type: lambda, kind: token, function: "{request.param}", timeout_ms: 1000, result_ttl: 0}}'
    with run_gateway(rest_config(auth, upstream=up.url), config_dir=AUTHORIZERS) as running:
        yield running


@pytest.mark.parametrize("how", ["exit", "interrupt", "fatal", "recursion", "forever", "await-forever"])
def test_a_failing_function_costs_one_500(gw: RunningGateway, up: Upstream, how: str) -> None:
    if how == "await-forever" and "async" not in str(gw.gateway.apis[0].authorizers["auth"].describe()):
        pytest.skip("a sync function cannot await")
    before = up.count
    r = gw.get("/pets/1", headers={"Authorization": how})
    assert (r.status_code, r.content) == (500, b'{"message":null}')
    assert up.count == before  # fail closed: the upstream never saw it
    ok = gw.get("/pets/1", headers={"Authorization": "fine"})
    assert ok.status_code == 200  # the gateway, and this authorizer, go on
