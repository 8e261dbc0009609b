"""Starlette through Mangum, as deployed on Lambda, unchanged: `handler` is the Lambda handler.

Mounted at `/starlette` (a custom domain's base path mapping); Mangum strips it from the path it gets.
"""

from __future__ import annotations

import hashlib

from mangum import Mangum
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BLOB = bytes(range(256))  # not UTF-8: only base64 carries it


async def read_item(request: Request) -> JSONResponse:
    return JSONResponse({"item_id": request.path_params["item_id"], "tags": request.query_params.getlist("tag"),
                         "multi": request.headers.getlist("x-multi"), "mixed": request.headers.get("x-mixed-case"),
                         "cookies": dict(request.cookies), "path": request.url.path})


async def create_item(request: Request) -> JSONResponse:
    return JSONResponse({"received": await request.json()})


async def form(request: Request) -> JSONResponse:
    data = await request.form()
    return JSONResponse({"form": {key: data.getlist(key) for key in data}})


async def upload(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)})


async def download(request: Request) -> Response:
    return Response(BLOB, media_type="application/octet-stream")


async def cookies(request: Request) -> JSONResponse:
    response = JSONResponse({"set": "a, b"})
    response.set_cookie("a", "1", path="/")
    response.set_cookie("b", "2", path="/")
    return response


async def error(request: Request) -> Response:
    raise RuntimeError("boom: secret-detail-42")


app = Starlette(routes=[
    Route("/items/{item_id}", read_item), Route("/items", create_item, methods=["POST"]),
    Route("/form", form, methods=["POST"]), Route("/upload", upload, methods=["POST"]),
    Route("/download", download), Route("/cookies", cookies), Route("/error", error),
])

handler = Mangum(app, lifespan="off", api_gateway_base_path="/starlette")
