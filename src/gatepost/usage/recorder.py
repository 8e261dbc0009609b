"""Usage records: admitted keyed requests per (UTC day, key, plan), written to the catalog in small batches.

They are what `gatepost usage` reports (AWS's GetUsage), and what counters start from after a restart
(quota windows are whole UTC days, so a window's usage is the sum of its days). With memory counters the
gateway adds to them about once a second (`usage.flush_interval`) and on shutdown: a crash loses at most
that much. With Redis counters they are copies of the records Redis counts (usage/sync.py).

Collection `usage`: "{day}|{key id}|{plan}" -> {day, key_id, plan, used}.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from gatepost.stores.base import Catalog, Doc

log = logging.getLogger("gatepost.usage")

USAGE = "usage"

Batch = dict[tuple[str, str, str], int]  # (day, key id, plan) -> requests


def write_batch(catalog: Catalog, batch: Batch, absolute: bool = False) -> None:
    """Add each batch count to its record; `absolute`: the counts are totals (from Redis), a record only grows
    to them (writing the same totals twice, from two workers, changes nothing)."""
    for (day, key_id, plan), n in batch.items():
        def add(doc: Doc | None, day: str = day, key_id: str = key_id, plan: str = plan, n: int = n) -> Doc:
            before = int((doc or {}).get("used", 0))
            return {"day": day, "key_id": key_id, "plan": plan, "used": max(before, n) if absolute else before + n}

        catalog.update(USAGE, f"{day}|{key_id}|{plan}", add)


def usage_by_key(catalog: Catalog, days: Iterable[str]) -> dict[tuple[str, str], int]:
    """(key id, plan) -> requests over `days` (for restoring quota counters)."""
    out: dict[tuple[str, str], int] = {}
    for day in days:
        for _, doc in catalog.list(USAGE, f"{day}|"):
            k = (doc["key_id"], doc["plan"])
            out[k] = out.get(k, 0) + int(doc["used"])
    return out


def usage_of_key(catalog: Catalog, key_id: str, days: Iterable[str]) -> dict[tuple[str, str], int]:
    """(day, plan) -> requests of one key (for reports)."""
    out: dict[tuple[str, str], int] = {}
    for day in days:
        for _, doc in catalog.list(USAGE, f"{day}|{key_id}|"):
            out[(day, doc["plan"])] = int(doc["used"])
    return out


class UsageRecorder:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.pending: Batch = {}

    def count(self, day: str, key_id: str, plan: str) -> None:
        k = (day, key_id, plan)
        self.pending[k] = self.pending.get(k, 0) + 1

    async def flush(self) -> None:
        batch, self.pending = self.pending, {}
        if not batch:
            return
        try:
            await asyncio.to_thread(write_batch, self.catalog, batch)
        except Exception:
            log.exception("usage.flush_failed records=%d (kept for the next flush)", len(batch))
            for k, n in batch.items():
                self.pending[k] = self.pending.get(k, 0) + n
