"""FastAPI through Mangum, as deployed on Lambda, unchanged: `handler` is the Lambda handler.

Mounted at `/fastapi` (a custom domain's base path mapping); Mangum strips it from the path it gets.
"""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Form, Request, Response
from mangum import Mangum

BLOB = bytes(range(256))  # not UTF-8: only base64 carries it

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: str, request: Request) -> dict[str, object]:
    return {"item_id": item_id, "tags": request.query_params.getlist("tag"),
            "multi": request.headers.getlist("x-multi"), "mixed": request.headers.get("x-mixed-case"),
            "cookies": dict(request.cookies), "path": request.url.path}


@app.post("/items")
async def create_item(request: Request) -> dict[str, object]:
    return {"received": await request.json()}


@app.post("/form")
def form(name: str = Form(), colour: list[str] = Form()) -> dict[str, object]:
    return {"form": {"name": [name], "colour": colour}}


@app.post("/upload")
async def upload(request: Request) -> dict[str, object]:
    body = await request.body()
    return {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}


@app.get("/download")
def download() -> Response:
    return Response(BLOB, media_type="application/octet-stream")


@app.get("/cookies")
def cookies(response: Response) -> dict[str, str]:
    response.set_cookie("a", "1", path="/")
    response.set_cookie("b", "2", path="/")
    return {"set": "a, b"}


@app.get("/error")
def error() -> None:
    raise RuntimeError("boom: secret-detail-42")


handler = Mangum(app, lifespan="off", api_gateway_base_path="/fastapi")
