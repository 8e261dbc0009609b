"""The payments example's demo upstream: answers every request with what it received, identity
headers included, so you can see what the gateway propagates. Run by gatepost.yaml as a sidecar."""

from __future__ import annotations

import argparse

from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    identity = {k: v for k, v in request.headers.items() if k.lower().startswith("x-gatepost-")}
    return web.json_response({
        "service": "payments-demo",
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "identity": identity,
        "body_bytes": len(body),
    })


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def app() -> web.Application:
    application = web.Application()
    application.router.add_get("/health", health)
    application.router.add_route("*", "/{tail:.*}", echo)
    return application


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    web.run_app(app(), host="127.0.0.1", port=args.port, print=None, access_log=None)
