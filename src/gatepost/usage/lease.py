"""One gateway process per catalog may count in memory: a lease in the catalog says which.

Per-process counters in several processes would each allow the whole quota. Workers are refused at load
(`server.workers > 1`); several instances sharing a catalog are refused at start by this lease, renewed
with every usage flush. A lease whose holder stopped renewing (5 s), or whose process is gone on this
host, is taken over, so a restart after a crash is not blocked.
"""

from __future__ import annotations

import os
import socket
import uuid

from gatepost.clock import Clock
from gatepost.stores.base import Catalog, Doc

LEASES = "usage_leases"
NAME = "memory-counters"
STALE_AFTER = 5.0


class LeaseHeld(Exception):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CountersLease:
    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def _mine(self) -> Doc:
        return {"owner": self.owner, "host": self.host, "pid": self.pid, "heartbeat": self.clock.now()}

    def _held_by_other(self, doc: Doc | None) -> bool:
        if doc is None or doc.get("owner") == self.owner:
            return False
        if self.clock.now() - float(doc.get("heartbeat", 0)) > STALE_AFTER:
            return False
        return not (doc.get("host") == self.host and not _alive(int(doc.get("pid", 0))))

    def acquire(self) -> None:
        def take(doc: Doc | None) -> Doc:
            if self._held_by_other(doc):
                assert doc is not None
                raise LeaseHeld(
                    f"another gateway (pid {doc.get('pid')} on {doc.get('host')}) counts usage in memory on this "
                    "catalog; per-process counters in two instances would each allow the whole quota. "
                    "Set state.counters to redis://... to share counts, or stop the other instance")
            return self._mine()

        self.catalog.update(LEASES, NAME, take)

    def renew(self) -> None:
        self.acquire()

    def release(self) -> None:
        self.catalog.update(LEASES, NAME, lambda doc: None if doc is None or doc.get("owner") == self.owner else doc)
