"""Flask on Lambda, unchanged, through either WSGI adapter: `apig_handler` (apig-wsgi) or
`serverless_handler` (serverless-wsgi).

Mounted at a custom domain's base path: `/flask-apig` (apig-wsgi has no option for it, so the app is
mounted there with Werkzeug's DispatcherMiddleware, as on AWS) or `/flask-sls` (serverless-wsgi strips
the `API_GATEWAY_BASE_PATH` environment variable, set per function in the gateway config).
"""

from __future__ import annotations

import hashlib
from typing import Any

import serverless_wsgi
from apig_wsgi import make_lambda_handler
from flask import Flask, Response, jsonify, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

BLOB = bytes(range(256))  # not UTF-8: only base64 carries it

app = Flask(__name__)


@app.get("/items/<item_id>")
def read_item(item_id: str) -> Any:
    return jsonify(item_id=item_id, tags=request.args.getlist("tag"), multi=request.headers.getlist("X-Multi"),
                   mixed=request.headers.get("x-mixed-case"), cookies=dict(request.cookies), path=request.path)


@app.post("/items")
def create_item() -> Any:
    return jsonify(received=request.get_json())


@app.post("/form")
def form() -> Any:
    return jsonify(form={key: request.form.getlist(key) for key in request.form})


@app.post("/upload")
def upload() -> Any:
    body = request.get_data()
    return jsonify(sha256=hashlib.sha256(body).hexdigest(), size=len(body))


@app.get("/download")
def download() -> Response:
    return Response(BLOB, mimetype="application/octet-stream")


@app.get("/cookies")
def cookies() -> Response:
    response = jsonify(set="a, b")
    response.set_cookie("a", "1", path="/")
    response.set_cookie("b", "2", path="/")
    return response


@app.get("/error")
def error() -> Any:
    raise RuntimeError("boom: secret-detail-42")


apig_handler = make_lambda_handler(DispatcherMiddleware(Response("not found", 404), {"/flask-apig": app}),
                                   binary_support=True)


def serverless_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serverless_wsgi.handle_request(app, event, context)
