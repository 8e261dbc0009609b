"""The admin port's reload verbs (server/reload_control.py does the work).

    POST /admin/reload            gatepost:ReloadConfig    load the on-disk config in every worker, or refuse it
    POST /admin/config/validate   gatepost:ValidateConfig  the on-disk config's located problems; changes nothing

A reload answers 200 with the version now serving, or 400 with the located problems (the previous version
keeps serving, in every worker). With several workers the worker asked hands the reload to the parent,
which reloads them all (or none) and answers through it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from gatepost.server import config_version
from gatepost.server.reload import problems_json, validate

if TYPE_CHECKING:
    from gatepost.server.reload_control import Reloads


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


class ReloadVerbs:
    def __init__(self, reloads: Reloads | None, workers: int) -> None:
        self.reloads = reloads
        self.workers = workers

    def _unavailable(self) -> web.Response:
        return _json(409, {"message": "this process serves no config file it could reload"})

    async def reload(self, request: web.Request) -> web.StreamResponse:
        if self.reloads is None:
            return self._unavailable()
        outcome = await self.reloads.reload()
        if outcome["reloaded"]:
            return _json(200, outcome)
        message = (f"the new config was refused ({outcome['reason']}, {len(outcome['problems'])} problem(s)): "
                   f"version {outcome['version']} keeps serving")
        return _json(400, {"message": message, **outcome})

    async def validate(self, request: web.Request) -> web.StreamResponse:
        if self.reloads is None:
            return self._unavailable()
        path = self.reloads.path
        problems = await asyncio.to_thread(validate, path, self.workers)
        digest = await asyncio.to_thread(config_version.digest, path)
        return _json(200, {"valid": not problems, "digest": digest, "serving": self.reloads.version().label,
                           "problems": problems_json(problems)})
