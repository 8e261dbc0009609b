"""uvicorn's httptools protocol, answering malformed HTTP in AWS's JSON shape instead of plain text."""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class GatepostHttpProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = orjson.dumps({"message": "Bad Request"})
        content = [
            b"HTTP/1.1 400 Bad Request\r\n",
            b"content-type: application/json\r\n",
            b"x-amzn-errortype: BadRequestException\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        self.transport.close()
