"""lambda: run a Python Lambda handler as AWS's Lambda-proxy integration (AWS_PROXY).

`integration: {lambda: "module:function"}` or the long form (LambdaIntegrationConfig). The handler is
a file next to the config or an importable module, loaded once when the config is compiled. Each
allowed request becomes AWS's event (events.py: payload 1.0 on rest APIs; 2.0 by default on http
APIs), the handler runs off the event loop (lambda_pool.py), and its return value becomes the response
(proxy_response.py). Failures answer as AWS does, per flavour: a handler exception (any BaseException),
an exception while importing its module (Lambda's init error), a dead worker process or malformed
output -> BAD_GATEWAY (REST 502 "Internal server error", HTTP 500); no answer within `timeout_ms`
(29 s) -> INTEGRATION_TIMEOUT (REST 504, HTTP 503). The traceback goes to the gateway log, never to
the client.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from gatepost.config.base import StrictModel
from gatepost.errors import GatewayError, ResponseType
from gatepost.integrations.base import Integration
from gatepost.integrations.events import accepts_binary, event_request_id, http_v2_event, rest_v1_event
from gatepost.integrations.lambda_pool import (
    Crashed,
    HandlerPool,
    InvokeTimeout,
    ProcessRunner,
    Runner,
    Saturated,
    ThreadRunner,
)
from gatepost.integrations.outbound import Outbound
from gatepost.integrations.proxy_response import MalformedOutput, to_response
from gatepost.lambda_loader import ModuleInitError, load_handler, locate_module
from gatepost.lambda_runtime import DEFAULT_MEMORY_MB, HandlerFailed, apply_environment
from gatepost.response import Response

if TYPE_CHECKING:
    from gatepost.authorizers.base import BuildContext
    from gatepost.services import Services

log = logging.getLogger("gatepost.integrations.lambda")

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class LambdaIntegrationConfig(StrictModel):
    type: Literal["lambda"]
    handler: str = Field(description='"module:function"; the module is a file next to the config or importable')
    payload_format_version: Literal["1.0", "2.0"] | None = None  # rest: always 1.0; http: 2.0 unless set
    timeout_ms: int = Field(29_000, ge=50, le=300_000)
    function_name: str | None = None  # context.function_name; default from the handler's name
    isolation: Literal["threads", "processes"] = "threads"
    concurrency: int = Field(8, ge=1, le=256)  # handlers running at once (threads or processes)
    max_waiting: int | None = Field(None, ge=0, le=100_000)  # calls queued for a slot; default max(256, 16 x)
    binary_media_types: list[str] = []  # added to the API's binary_media_types (REST's binaryMediaTypes)
    environment: dict[str, str] = {}  # the function's environment variables (Lambda's Environment.Variables)
    memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=128, le=10_240)  # context.memory_limit_in_mb (not enforced)


class LambdaProxyIntegration(Integration):
    kind = "lambda"

    def __init__(self, config: LambdaIntegrationConfig) -> None:
        self.config = config
        self.timeout = config.timeout_ms / 1000
        self.binary_media_types = tuple(config.binary_media_types)
        self.function_name = config.function_name or _NAME.sub("-", config.handler).strip("-")
        self.payload_version = config.payload_format_version or "2.0"
        self.flavour = ""
        self._pool: HandlerPool | None = None
        self._bound: set[str] = set()

    def bind(self, ctx: BuildContext) -> None:
        """Load the handler once, for the API this integration serves (compile time)."""
        api = ctx.api
        if api.flavour == "rest" and self.config.payload_format_version == "2.0":
            raise ValueError("rest APIs always send payload format 1.0 to Lambda (AWS)")
        if self.flavour and self.flavour != api.flavour:
            raise ValueError("one lambda integration cannot serve a rest and an http API; declare one per API")
        self.flavour = api.flavour
        self.binary_media_types = tuple(dict.fromkeys(self.binary_media_types + api.binary_media_types))
        if self.flavour == "rest":
            self.payload_version = "1.0"
        if self._pool is not None:
            return
        arn = f"arn:aws:lambda:{api.region}:{api.account_id}:function:{self.function_name}"
        c = self.config
        runner: Runner
        if c.isolation == "processes":
            _locate(c.handler, ctx)  # imported in each worker process only, never in the gateway's
            runner = ProcessRunner(c.handler, ctx.config_dir, self.function_name, arn, c.concurrency, c.memory_mb,
                                   dict(c.environment))
        else:
            self._apply_environment()
            runner = ThreadRunner(_load(c.handler, ctx, self.function_name), c.handler, ctx.config_dir,
                                  self.function_name, arn, c.concurrency, c.memory_mb)
        self._pool = HandlerPool(runner, c.concurrency, c.max_waiting)

    def _apply_environment(self) -> None:
        """threads: the variables go into the gateway process's environment before the module is imported."""
        for name in apply_environment(self.config.environment):
            log.warning("lambda.environment_overridden function=%s name=%s: the process had another value; "
                        "use isolation: processes for per-function values", self.function_name, name)

    async def start(self, services: Services) -> None:
        assert self._pool is not None, "lambda integration used without bind()"

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    def event(self, out: Outbound) -> dict[str, Any]:
        if self.payload_version == "2.0":
            return http_v2_event(out.req, out.match, out.decision, headers=out.client_headers)
        return rest_v1_event(out.req, out.match, out.decision, headers=out.client_headers,
                             binary_media_types=self.binary_media_types)

    async def send(self, out: Outbound) -> Response:
        assert self._pool is not None, "integration not started"
        try:
            output = await self._pool.invoke(self.event(out), self.timeout)
            response = to_response(output, self.payload_version, decode_base64=self._decodes(out),
                                   keep_case=self.flavour == "rest")
        except InvokeTimeout:
            log.warning("lambda.timeout function=%s request_id=%s timeout_ms=%d", self.function_name,
                        out.req.request_id, self.config.timeout_ms)
            raise GatewayError(ResponseType.INTEGRATION_TIMEOUT, "lambda.timeout") from None
        except Saturated:
            log.warning("lambda.saturated function=%s request_id=%s concurrency=%d", self.function_name,
                        out.req.request_id, self.config.concurrency)
            raise GatewayError(ResponseType.THROTTLED, "lambda.saturated") from None
        except Crashed:
            log.error("lambda.crashed function=%s request_id=%s", self.function_name, out.req.request_id)
            raise GatewayError(ResponseType.BAD_GATEWAY, "lambda.crashed") from None
        except HandlerFailed as exc:
            reason = "lambda.init_error" if exc.init else "lambda.handler_error"
            log.error("%s function=%s request_id=%s error_type=%s\n%s", reason, self.function_name,
                      out.req.request_id, exc.error_type, exc.traceback_text.rstrip())
            raise GatewayError(ResponseType.BAD_GATEWAY, reason) from None
        except MalformedOutput as exc:
            log.error("lambda.malformed_response function=%s request_id=%s reason=%s detail=%s",
                      self.function_name, out.req.request_id, exc.reason, exc.detail)
            raise GatewayError(ResponseType.BAD_GATEWAY, exc.reason) from None
        except Exception as exc:
            log.error("lambda.handler_error function=%s request_id=%s", self.function_name, out.req.request_id,
                      exc_info=exc)
            raise GatewayError(ResponseType.BAD_GATEWAY, "lambda.handler_error") from None
        if self.flavour == "rest":
            if response.header("content-type") is None:  # REST answers JSON unless told otherwise (AWS)
                response.headers.append(("content-type", "application/json"))
            response.headers.append(("x-amzn-requestid", out.req.request_id))
        else:
            response.headers.append(("apigw-requestid", event_request_id(out.req, "http")))
        return response

    def _decodes(self, out: Outbound) -> bool:
        """REST decodes a base64 answer only when the request's first Accept type is a binary media type."""
        return self.flavour != "rest" or accepts_binary(out.req.header("accept"), self.binary_media_types)

    def describe(self) -> dict[str, Any]:
        return {"kind": "lambda", "handler": self.config.handler, "payload_format_version": self.payload_version,
                "isolation": self.config.isolation, "concurrency": self.config.concurrency}


def _load(spec: str, ctx: BuildContext, function_name: str) -> Any:
    """The handler, or None when its module raised while importing (each call then answers 502 and retries)."""
    try:
        return load_handler(spec, ctx.config_dir)
    except ModuleInitError as exc:
        log.error("lambda.init_error function=%s: importing %r failed; requests answer 502 until it imports\n%s",
                  function_name, spec, exc.failure.traceback_text.rstrip())
        return None
    except (ValueError, ImportError) as exc:
        raise ValueError(str(exc).replace("function ", "handler ", 1)) from None


def _locate(spec: str, ctx: BuildContext) -> None:
    try:
        locate_module(spec, ctx.config_dir)
    except (ValueError, ImportError) as exc:
        raise ValueError(str(exc).replace("function ", "handler ", 1)) from None


def build(config: LambdaIntegrationConfig) -> Integration:
    return LambdaProxyIntegration(config)
