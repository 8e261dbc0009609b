"""Identity sources: where values are read, the presence check (401 without invoking), and the TOKEN
identity_validation_expression. Function level: the authorizer on a compiled gateway."""

from __future__ import annotations

import pytest
from lakit import authorizer, gateway, handler_module, http_config, match_for, request, rest_config

from gatepost.decision import Outcome
from gatepost.errors import ConfigError


async def decide(config: str, headers: dict[str, str] | list[tuple[str, str]] | None = None, query: str = "",
                 path: str = "/pets/1") -> tuple[Outcome, str, int]:
    gw = gateway(config)
    await gw.start()
    try:
        req = request("GET", path, headers=headers, query=query)
        decision = await authorizer(gw).authorize(req, match_for(gw, req))
        return decision.outcome, decision.reason, len(handler_module(gw).EVENTS)
    finally:
        await gw.close()


REQUEST = '{{type: lambda, function: "behaviours:handler", identity_sources: {sources}}}'


@pytest.mark.parametrize("sources, headers, query, ok", [
    ("[header.x-key]", {"X-Key": "k"}, "", True),  # header names are case-insensitive
    ("[method.request.header.X-Key]", {"x-key": "k"}, "", True),
    ("[header.x-key]", {"x-other": "k"}, "", False),
    ("[header.x-key]", {"x-key": ""}, "", False),  # empty counts as missing
    ("[query.token]", None, "token=abc", True),
    ("[method.request.querystring.token]", None, "Token=abc", False),  # query names are case-sensitive
    ("[query.token]", None, "token=", False),
    ("[header.x-key, query.token]", {"x-key": "k"}, "", False),  # every source must be present
    ("[header.x-key, query.token]", {"x-key": "k"}, "token=t", True),
    ("[stageVariables.tenantHeader]", None, "", True),
    ("[stage_variable.missing]", None, "", False),
    ("[context.httpMethod, context.resourcePath]", None, "", True),
    ("[$context.identity.sourceIp]", None, "", True),
])
async def test_rest_identity_sources(sources: str, headers: dict[str, str] | None, query: str, ok: bool) -> None:
    outcome, reason, invoked = await decide(rest_config(REQUEST.format(sources=sources)), headers, query)
    if ok:
        assert (outcome, invoked) == (Outcome.ALLOW, 1)
    else:
        assert (outcome, reason, invoked) == (Outcome.UNAUTHORIZED, "lambda.identity_missing", 0)


async def test_http_identity_sources_use_selection_expressions() -> None:
    cfg = http_config(REQUEST.format(sources='["$request.header.Authorization", "$stageVariables.region"]'))
    assert (await decide(cfg, {"authorization": "t"}))[0] is Outcome.ALLOW
    assert (await decide(cfg, None))[:2] == (Outcome.UNAUTHORIZED, "lambda.identity_missing")


async def test_token_source_defaults_to_the_authorization_header() -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "behaviours:handler"}')
    assert (await decide(cfg, {"authorization": "x"}))[0] is Outcome.ALLOW
    assert (await decide(cfg, {"x-other": "x"}))[2] == 0


async def test_token_validation_expression_refuses_without_invoking() -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "behaviours:handler", identity_sources: [header.auth], '
                      r'identity_validation_expression: "^Bearer [-0-9a-zA-Z\\.]+$"}')
    assert (await decide(cfg, {"auth": "Bearer abc.def"}))[0] is Outcome.ALLOW
    outcome, reason, invoked = await decide(cfg, {"auth": "Basic dXNlcjpwYXNz"})
    assert (outcome, reason, invoked) == (Outcome.UNAUTHORIZED, "lambda.identity_invalid", 0)
    assert (await decide(cfg, {"auth": "Bearer abc def"}))[2] == 0  # the whole value must match


@pytest.mark.parametrize("auth, problem", [
    ('{type: lambda, function: "behaviours:handler", identity_sources: [method.request.path.id]}',
     "path parameters cannot be identity sources"),
    ('{type: lambda, function: "behaviours:handler", identity_sources: [context.nope]}', "unknown context variable"),
    ('{type: lambda, function: "behaviours:handler", identity_sources: [cookie.x]}', "write it as header.NAME"),
    ('{type: lambda, function: "behaviours:handler"}', "needs identity_sources"),
    ('{type: lambda, kind: token, function: "behaviours:handler", identity_sources: [query.t]}', "must be a header"),
    ('{type: lambda, kind: token, function: "behaviours:handler", identity_sources: [header.a, header.b]}',
     "one identity source"),
    ('{type: lambda, kind: token, function: "behaviours:handler", identity_validation_expression: "("}',
     "not a valid regex"),
    ('{type: lambda, function: "behaviours:handler", identity_sources: [header.a], '
     'identity_validation_expression: "x"}', "TOKEN authorizers only"),
    ('{type: lambda, kind: token, function: "behaviours:handler", result_ttl: 3601}', "3600"),
    ('{type: lambda, kind: token, function: "behaviours:handler", payload_format_version: "2.0"}', "http APIs only"),
    ('{type: lambda, kind: token}', "exactly one of"),
    ('{type: lambda, kind: token, function: "behaviours:handler", url: "http://x"}', "exactly one of"),
    ('{type: lambda, kind: token, function: "no_such_module:handler"}', "not found next to the config"),
    ('{type: lambda, kind: token, function: "behaviours:no_such_function"}', "has no attribute"),
    ('{type: lambda, kind: token, function: "behaviours"}', "module:function"),
])
def test_config_errors_are_located_and_explained(auth: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        gateway(rest_config(auth))
    text = str(info.value)
    assert problem in text
    assert "apis.shop.authorizers.auth" in text


@pytest.mark.parametrize("auth, problem", [
    ('{type: lambda, kind: token, function: "behaviours:handler"}', "REQUEST Lambda authorizers only"),
    ('{type: lambda, function: "simple_v2:handler", identity_sources: [header.a], enable_simple_responses: true, '
     'payload_format_version: "1.0"}', "needs payload_format_version 2.0"),
])
def test_http_config_errors(auth: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        gateway(http_config(auth))
    assert problem in str(info.value)
