"""A rate-based rule while Redis does not answer (paused: every call waits for the socket timeout): the
counters' failure policy applies (`local`: counted in the process meanwhile), and the previous window's count is
not read again for every new key while the outage is known, so requests do not each wait for Redis twice."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from gatepost.stores.counters import Quota
from gatepost.stores.counters_redis import RedisCounters
from gatepost.usage.fallback import FallbackCounters
from gatepost.waf.counting import rate_counters
from support import run_redis

NOW = 1_767_225_600.0


async def test_previous_windows_are_not_read_during_a_known_outage(tmp_path: Path) -> None:
    with run_redis(tmp_path) as server:
        primary = RedisCounters(server.url)
        store = FallbackCounters(primary, "local", probe_interval=0.1)
        counters = rate_counters(store)
        quota = Quota("waf:edge:per-client:1767225600:198.51.100.1", 2, NOW + 120)
        assert await counters.used("waf:edge:per-client:1767225540:198.51.100.1") == 0  # Redis answers
        reads: list[str] = []
        real_used = primary.used

        async def counted_used(key: str) -> int:
            reads.append(key)
            return await real_used(key)

        primary.used = counted_used  # type: ignore[method-assign]
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            assert [await counters.over(quota, NOW) for _ in range(3)] == [False, False, True]  # local policy
            assert store.down
            for i in range(20):  # new keys during the outage: no read waits for the paused Redis
                assert await counters.used(f"waf:edge:per-client:1767225540:198.51.100.{i}") is None
            assert reads == []
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        await store.close()
