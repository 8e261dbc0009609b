"""mock: a static response (AWS's MOCK integration), for health checks, tests and demos."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import Field

from gatepost.config.base import StrictModel
from gatepost.integrations.base import Integration
from gatepost.integrations.outbound import Outbound
from gatepost.response import Response


class MockIntegrationConfig(StrictModel):
    type: Literal["mock"]
    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = {}
    body: str | dict[str, Any] | list[Any] | None = None


class MockIntegration(Integration):
    kind = "mock"

    def __init__(self, config: MockIntegrationConfig) -> None:
        self.status = config.status
        if isinstance(config.body, str):
            body, ctype = config.body.encode(), "text/plain; charset=utf-8"
        elif config.body is None:
            body, ctype = b"", ""
        else:
            body, ctype = orjson.dumps(config.body), "application/json"
        headers = [(k.lower(), v) for k, v in config.headers.items()]
        if ctype and not any(k == "content-type" for k, _ in headers):
            headers.append(("content-type", ctype))
        self.headers = headers
        self.body = body

    async def send(self, out: Outbound) -> Response:
        return Response(self.status, list(self.headers), self.body)

    def describe(self) -> dict[str, Any]:
        return {"kind": "mock", "status": self.status}


def build(config: MockIntegrationConfig) -> Integration:
    return MockIntegration(config)
