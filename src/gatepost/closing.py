"""Closing in steps: every step runs even when an earlier one failed.

A worker's shutdown (server/app.py, server/run.py) and a gateway's close (gateway.py) are lists of named
steps. A step that raises is logged (`shutdown.step_failed step=NAME`, with its traceback) and the next one
still runs: one failing part (a shared file locked, a store gone) never keeps the others open, nor the
access log's last lines off the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

log = logging.getLogger("gatepost.server")

Step = tuple[str, Callable[[], Awaitable[object]]]


async def close_all(steps: Iterable[Step]) -> bool:
    """Run every step in order; True when none failed."""
    clean = True
    for name, step in steps:
        try:
            await step()
        except Exception:
            log.exception("shutdown.step_failed step=%s", name)
            clean = False
    return clean


def sync_step(close: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    """A plain close (a file, a SQLite connection) as a step."""

    async def step() -> object:
        return close()

    return step


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task (a flush loop, a poller, an acceptor) and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
