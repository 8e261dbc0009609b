"""The admin API's HTTP side: every Operation (admin/registry.py) as a route of the admin port, behind the
port's guard (bearer token or SigV4 for the operation's `gatepost:` action).

Parameters come from the path, the query string (GET, DELETE) and the JSON body (POST, PUT, PATCH), and are
checked against the operation's schemas first: bad input is a 400 `{"message": ...}` before anything runs.
Operations run in a thread (the catalog is synchronous); neither parameters nor answers are logged, so an
API key value, secret access key or password given or issued here never reaches a log.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import jsonschema
import orjson
from aiohttp import web

from gatepost.admin.operation import AdminScope, Operation, OperationError, Params, Scope
from gatepost.admin.registry import OPERATIONS
from gatepost.iam.directory import IamDirectory

if TYPE_CHECKING:
    from gatepost.gateway import Gateway

log = logging.getLogger("gatepost.admin")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Guard = Callable[[str, Handler], Handler]
WITH_BODY = ("POST", "PUT", "PATCH")


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def register(app: web.Application, guard: Guard, gw: Gateway) -> None:
    """Add every operation's route to `app`, and answer aiohttp's own refusals (404, 405, 413) as JSON."""
    def scope() -> Scope:  # the gateway's config of the moment, and its catalog
        config_dir = gw.services.config_dir
        return AdminScope(gw.config, config_dir / "gatepost.yaml", config_dir, gw.services.catalog)

    directory = IamDirectory.shared(gw.services)
    app.middlewares.append(_json_refusals)
    for op in OPERATIONS:
        app.router.add_route(op.method, op.path,
                             _known_key(directory, gw, guard(op.action, _handler(op, scope))))


_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]{16,128})/")


def _known_key(directory: IamDirectory, gw: Gateway, checked: Handler) -> Handler:
    """An access key issued a moment ago (`gatepost iam create-access-key`, then at once `--admin`) may not be
    in the worker's IAM snapshot yet: reload it first, as the IAM authorizer does (at most once a second)."""
    async def handle(request: web.Request) -> web.StreamResponse:
        found = _CREDENTIAL.search(request.headers.get("authorization", ""))
        if found and directory.lookup(found.group(1)) is None:
            await directory.reload_for_unknown_key(gw.services.clock.now())
        return await checked(request)

    return handle


@web.middleware
async def _json_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _json(exc.status, {"message": exc.reason})


def _handler(op: Operation, scope: Callable[[], Scope]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            params = await parameters(op, request)
            answer = await asyncio.to_thread(op.run, scope(), params)
        except OperationError as err:
            return _json(err.status, {"message": err.message})
        except Exception as exc:  # a bug: say so without the details (they may quote a parameter)
            log.error("admin.failed action=%s error=%s", op.action, type(exc).__name__)
            return _json(500, {"message": "Internal server error"})
        return _json(op.status, answer)

    return handle


async def parameters(op: Operation, request: web.Request) -> Params:
    params: Params = {}
    if op.method in WITH_BODY and op.body is not None:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise OperationError(400, "the body is not JSON") from None
        _check(body, op.body, "the body")
        params.update(body)
    for name, schema in op.query.items():
        if name in request.query:
            value = request.query[name]
            _check(value, schema, f"query parameter {name!r}")
            params[name] = value
    for name in op.path_names:
        params[name] = request.match_info[name]
    return params


def _check(value: Any, schema: dict[str, Any], where: str) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(value))
    if error is not None:
        at = "".join(f"[{p!r}]" for p in error.absolute_path)
        raise OperationError(400, f"{where}{at}: {error.message}"[:500])
