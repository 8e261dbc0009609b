"""lambda: TOKEN and REQUEST Lambda authorizers (REST's CUSTOM, HTTP API's REQUEST), as API Gateway runs them.

Per request: read the identity sources (any missing or empty, or a TOKEN failing
`identity_validation_expression`: 401 without invoking); look the identity up in the result cache;
on a miss invoke the function once (single-flight) with AWS's event; validate its output; evaluate
the (possibly cached) policy afresh against this request's method ARN. Outcomes, per reference 1.6:

| outcome | REST | HTTP API |
|---|---|---|
| identity missing / fails the expression / failed with "Unauthorized" | 401 Unauthorized | same |
| policy: no matching Allow | 403 `{"Message": "User is not authorized to access this resource"}` | 403 Forbidden |
| policy: explicit Deny | 403 `{"Message": "... with an explicit deny"}` | 403 Forbidden |
| simple response `isAuthorized: false` | - | 403 Forbidden |
| other error, timeout, saturation, malformed output | 500 `{"message": null}` | 500 Internal Server Error |

Docs: docs/lambda-authorizers.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from gatepost.authorizers.base import ApiInfo, Authorizer, BuildContext
from gatepost.authorizers.lambda_events import request_event, token_event
from gatepost.authorizers.lambda_identity import IdentitySources, parse_identity_sources
from gatepost.authorizers.lambda_response import (
    AuthorizerResult,
    MalformedOutput,
    OutputRules,
    decode,
    parse_output,
    stringify,
)
from gatepost.authorizers.lambda_targets import (
    HttpTarget,
    InvocationFailed,
    PythonTarget,
    Target,
    ThreadSlots,
    Unauthorized,
    load_handler,
)
from gatepost.authorizers.registry_types import kind
from gatepost.authorizers.result_cache import (
    FLUSH_COLLECTION,
    CacheStats,
    ResultCache,
    flush_key,
    stage_prefix,
)
from gatepost.config.base import StrictModel
from gatepost.decision import Decision, Outcome, Principal
from gatepost.errors import GatewayError, ResponseType
from gatepost.policy.evaluate import Effect, evaluate

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest
    from gatepost.services import Services

log = logging.getLogger("gatepost.authorizers.lambda")

ACTION = "execute-api:Invoke"
IMPLICIT_DENY = "User is not authorized to access this resource"
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
STATS_INTERVAL = 60.0  # seconds between `lambda.stats` log lines


class LambdaAuthorizerConfig(StrictModel):
    type: Literal["lambda"]
    kind: Literal["token", "request"] = "request"
    function: str | None = Field(None, description='a Python callable, "module:function"')
    url: str | None = Field(None, description="an HTTP authorizer service the event is POSTed to")
    function_name: str | None = None  # what context.function_name says; default "<api>-<authorizer>"
    identity_sources: list[str] = []
    identity_validation_expression: str | None = None
    result_ttl: int = Field(300, ge=0, le=3600)
    payload_format_version: Literal["1.0", "2.0"] | None = None
    enable_simple_responses: bool = False
    timeout_ms: int = Field(10_000, ge=1, le=30_000)
    concurrency: int = Field(16, ge=1, le=512)  # threads for a sync Python function

    @model_validator(mode="after")
    def _shape(self) -> LambdaAuthorizerConfig:
        if (self.function is None) == (self.url is None):
            raise ValueError('give exactly one of `function: "module:handler"` or `url: http://...`')
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        if self.kind == "token":
            self._token_shape()
        elif self.identity_validation_expression is not None:
            raise ValueError("identity_validation_expression applies to TOKEN authorizers only (as on AWS)")
        elif self.result_ttl > 0 and not self.identity_sources:
            raise ValueError("a caching REQUEST authorizer needs identity_sources (its cache key); "
                             "list at least one, or set result_ttl: 0")
        return self

    def _token_shape(self) -> None:
        if len(self.identity_sources) > 1:
            raise ValueError("a TOKEN authorizer reads one header: give one identity source, e.g. header.authorization")
        if self.identity_sources and not _is_header(self.identity_sources[0]):
            raise ValueError("a TOKEN authorizer's identity source must be a header, e.g. header.authorization")
        if self.identity_validation_expression is not None:
            try:
                re.compile(self.identity_validation_expression)
            except re.error as exc:
                raise ValueError(f"identity_validation_expression is not a valid regex: {exc}") from None


def _is_header(text: str) -> bool:
    return text.startswith(("header.", "method.request.header.", "$request.header."))


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation's outcome, shared by the requests that waited for it."""

    result: AuthorizerResult | None = None
    unauthorized: bool = False
    failure: str | None = None  # stable reason code
    latency_ms: int = 0

    @staticmethod
    def encode(inv: Invocation) -> bytes | None:
        return inv.result.encode() if inv.result is not None else None  # only results are cached


class LambdaAuthorizer(Authorizer):
    kind = "lambda"

    def __init__(self, name: str, api: ApiInfo, config: LambdaAuthorizerConfig, target: Target,
                 identity: IdentitySources, services: Services) -> None:
        super().__init__(name, api)
        self.config = config
        self.target = target
        self.identity = identity
        self.services = services
        self.token = config.kind == "token"
        self.validation = re.compile(config.identity_validation_expression) \
            if config.identity_validation_expression else None
        self.payload_version = None if api.flavour == "rest" else (config.payload_format_version or "2.0")
        self.rules = OutputRules(simple=config.enable_simple_responses, rich_context=self.payload_version == "2.0",
                                 reserved_context_keys=frozenset({"claims"}) if self.payload_version == "1.0"
                                 else frozenset())
        self.timeout = config.timeout_ms / 1000
        self.stats = CacheStats()
        self.cache: ResultCache[Invocation] | None = None
        if config.result_ttl > 0:
            # the definition's digest in the key: after a live reload an unchanged authorizer finds its cached
            # results again, a changed one (another function, other identity sources) none of the old ones
            prefix = f"{stage_prefix(api.api_id, api.stage)}{name}:{definition_digest(config)}:"
            self.cache = ResultCache(services.cache, prefix, config.result_ttl, self.stats, Invocation.encode,
                                     lambda data: Invocation(decode(data, self.rules)))
        self._flush_seq: int | None = None
        self._reporter: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.target.start(self.services)
        if self.cache is not None:
            self.services.watcher.subscribe(FLUSH_COLLECTION, self._on_flush_request)
        self._reporter = asyncio.create_task(self._report_stats(), name=f"gatepost-lambda-stats-{self.name}")

    async def close(self) -> None:
        if self._reporter is not None:
            self._reporter.cancel()
        await self.target.close()

    async def flush(self) -> int:
        """AWS's FlushStageAuthorizersCache for this authorizer, effective at once in this process."""
        if self.cache is None:
            return 0
        removed = await self.cache.flush()
        log.info("lambda.cache_flushed authorizer=%s api=%s stage=%s removed=%d", self.name, self.api.name,
                 self.api.stage, removed)
        return removed

    async def _on_flush_request(self) -> None:
        key = flush_key(self.api.api_id, self.api.stage)
        doc = await asyncio.to_thread(self.services.catalog.get, FLUSH_COLLECTION, key)
        seq = int(doc.get("seq", 0)) if doc else 0
        if self._flush_seq is not None and seq != self._flush_seq:
            await self.flush()
        self._flush_seq = seq

    # -- the request path --------------------------------------------------------------------------

    async def authorize(self, req: GatewayRequest, match: Match) -> Decision:
        identity = self.identity.extract(req, match)
        if identity is None:
            return self._unauthorized("lambda.identity_missing")
        if self.validation is not None and self.validation.fullmatch(identity[0]) is None:
            return self._unauthorized("lambda.identity_invalid")
        if self.cache is None:
            return self._decide(await self._invoke(req, match, identity), False, req, match)
        lookup = await self.cache.resolve(identity, lambda: self._invoke(req, match, identity))
        return self._decide(lookup.value, lookup.cached, req, match)

    def _event(self, req: GatewayRequest, match: Match, identity: tuple[str, ...]) -> dict[str, Any]:
        if self.token:
            return token_event(identity[0], match)
        return request_event(req, match, self.payload_version, identity)

    async def _invoke(self, req: GatewayRequest, match: Match, identity: tuple[str, ...]) -> Invocation:
        self.stats.invocations += 1
        started = time.perf_counter()
        try:
            output = await self.target.invoke(self._event(req, match, identity), self.timeout)
            inv = Invocation(parse_output(output, self.rules))
        except Unauthorized:
            inv = Invocation(unauthorized=True)
        except InvocationFailed as exc:
            inv = Invocation(failure=exc.reason)
        except MalformedOutput as exc:
            log.warning("lambda.malformed_output authorizer=%s reason=%s detail=%s", self.name, exc.reason, exc)
            inv = Invocation(failure=exc.reason)
        latency = int((time.perf_counter() - started) * 1000)
        self._log_invocation(inv, latency)
        return Invocation(inv.result, inv.unauthorized, inv.failure, latency)

    def _log_invocation(self, inv: Invocation, latency: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            outcome = "unauthorized" if inv.unauthorized else inv.failure or "result"
            log.debug("lambda.invoked authorizer=%s api=%s outcome=%s latency_ms=%d %s", self.name, self.api.name,
                      outcome, latency, self._counts())

    def _counts(self) -> str:
        s = self.stats
        return f"invocations={s.invocations} hits={s.hits} misses={s.misses} coalesced={s.coalesced}"

    async def _report_stats(self) -> None:
        """One INFO line per STATS_INTERVAL while the counters move (per-invocation lines are DEBUG)."""
        last = ""
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            counts = self._counts()
            if counts != last:
                log.info("lambda.stats authorizer=%s api=%s stage=%s %s", self.name, self.api.name, self.api.stage,
                         counts)
                last = counts

    # -- from an invocation (fresh or cached) to this request's decision ----------------------------

    def _decide(self, inv: Invocation, cached: bool, req: GatewayRequest, match: Match) -> Decision:
        if inv.unauthorized:
            return self._unauthorized("lambda.unauthorized")
        if inv.result is None:
            reason = inv.failure or "lambda.function_error"
            return self._reject(Outcome.ERROR, GatewayError(ResponseType.AUTHORIZER_CONFIGURATION_ERROR, reason))
        result = inv.result
        principal = Principal(principal_id=result.principal_id, context=result.context,
                              usage_identifier_key=result.usage_identifier_key)
        effect = self._effect(result, req, match)
        extra = {"integration_latency": 0 if cached else inv.latency_ms, "cached": cached, "policy_effect": str(effect)}
        if effect is Effect.ALLOW:
            reason = "lambda.allow.cached" if cached else "lambda.allow"
            return Decision.allow(reason, authorizer=self.name, kind=self.kind, principal=principal, extra=extra)
        error = self._deny_error(result, effect)
        return Decision(Outcome.DENY, error.reason, self.name, self.kind, principal, error, extra)

    def _effect(self, result: AuthorizerResult, req: GatewayRequest, match: Match) -> Effect:
        if result.policy is None:
            return Effect.ALLOW if result.is_authorized else Effect.IMPLICIT_DENY
        context = self._condition_keys(req) if result.has_conditions else None
        return evaluate((result.policy,), ACTION, match.method_arn, context)

    def _deny_error(self, result: AuthorizerResult, effect: Effect) -> GatewayError:
        if result.policy is None:
            return GatewayError(ResponseType.ACCESS_DENIED, "lambda.not_authorized")
        explicit = effect is Effect.EXPLICIT_DENY
        reason = "lambda.explicit_deny" if explicit else "lambda.implicit_deny"
        if self.api.flavour != "rest":
            return GatewayError(ResponseType.ACCESS_DENIED, reason)
        return GatewayError(ResponseType.ACCESS_DENIED, reason, EXPLICIT_DENY if explicit else IMPLICIT_DENY,
                            body_key="Message")

    def _condition_keys(self, req: GatewayRequest) -> dict[str, Any]:
        now = self.services.clock.now()
        return {"aws:SourceIp": req.source_ip, "aws:UserAgent": req.user_agent,
                "aws:CurrentTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "aws:EpochTime": int(now), "aws:SecureTransport": req.scheme == "https"}

    def _unauthorized(self, reason: str) -> Decision:
        return self._reject(Outcome.UNAUTHORIZED, GatewayError(ResponseType.UNAUTHORIZED, reason))

    def _reject(self, outcome: Outcome, error: GatewayError) -> Decision:
        return Decision.reject(outcome, error, authorizer=self.name, kind=self.kind)

    # -- events and explain -------------------------------------------------------------------------

    def event_authorizer(self, decision: Decision, payload_version: str) -> dict[str, Any] | None:
        context = decision.principal.context or {}
        if payload_version == "2.0":
            return {"lambda": dict(context)}
        part: dict[str, Any] = {"principalId": decision.principal.principal_id}
        part.update((k, stringify(v)) for k, v in context.items())
        part["integrationLatency"] = decision.extra.get("integration_latency", 0)
        return part

    def credential_names(self) -> tuple[tuple[str, str], ...]:
        where = {"header": "header", "querystring": "query"}
        return tuple((where[s.where], s.name) for s in self.identity.sources if s.where in where)

    def describe(self) -> dict[str, Any]:
        ttl = self.config.result_ttl
        return {
            "kind": self.kind,
            "type": "TOKEN" if self.token else "REQUEST",
            "identity_source": self.identity.describe(),
            "owner": "you (custom code: " + self.target.describe() + ")",
            "cost": f"one invocation per identity per {ttl} s (cached)" if ttl else "one invocation per request",
            "coupling": "freeform",
            "propagates": "principalId and the context map",
            "result_ttl": ttl,
            "stats": self.stats.as_dict(),
        }


def _target(name: str, config: LambdaAuthorizerConfig, ctx: BuildContext) -> Target:
    api = ctx.api
    function_name = config.function_name or f"{api.name}-{name}"
    if config.url is not None:
        return HttpTarget(config.url, function_name)
    assert config.function is not None
    handler = load_handler(config.function, ctx.config_dir)
    arn = f"arn:aws:lambda:{api.region}:{api.account_id}:function:{function_name}"
    return PythonTarget(handler, config.function, function_name, arn, ThreadSlots(config.concurrency, name))


def _check_flavour(config: LambdaAuthorizerConfig, api: ApiInfo) -> None:
    if api.flavour == "rest":
        if config.payload_format_version is not None:
            raise ValueError("payload_format_version applies to http APIs only (REST events have one format)")
        if config.enable_simple_responses:
            raise ValueError("enable_simple_responses applies to http APIs with payload_format_version 2.0 only")
        return
    if config.kind == "token":
        raise ValueError("http APIs have REQUEST Lambda authorizers only: use kind: request "
                         "with identity_sources: [header.authorization]")
    if config.enable_simple_responses and (config.payload_format_version or "2.0") != "2.0":
        raise ValueError("enable_simple_responses needs payload_format_version 2.0 (as on AWS)")


def definition_digest(config: LambdaAuthorizerConfig) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:10]


def build(name: str, config: LambdaAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    _check_flavour(config, ctx.api)
    sources = config.identity_sources or (["header.authorization"] if config.kind == "token" else [])
    identity = parse_identity_sources(sources, ctx.api.flavour)
    return LambdaAuthorizer(name, ctx.api, config, _target(name, config, ctx), identity, ctx.services)


KIND = kind("lambda", LambdaAuthorizerConfig, build,
            needs='function: "module:function" or url: URL; kind: token or request (default)',
            example='{type: lambda, function: "auth:handler", identity_sources: [header.authorization]}')
