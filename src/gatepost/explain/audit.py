"""`gatepost audit`: static findings about how routes are protected, each with a severity and a fix.

Rules read the compiled gateway and its config. Severities: info < low < medium < high. Which rule
fires at which severity is our choice, written in docs/explain-audit-probe.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from gatepost.authorizers.pending import PendingAuthorizer
from gatepost.explain.allow_list import is_everyone, narrowed_by_allow_list
from gatepost.explain.audit_pools import builtin_pool, pool_findings
from gatepost.explain.finding import SEVERITIES, Finding, rank
from gatepost.explain.load import Loaded
from gatepost.gateway import Api, Route

BUSY_RPS = 50.0  # a route throttled at or above this rate is "busy" for the uncached-Lambda rule
LONG_TTL = 900  # seconds: beyond this a revoked credential keeps working too long
HEALTH_PATHS = re.compile(r"^/(health|healthz|ping|status|ready|livez|readyz)$")
ROUTE_DISCRIMINATORS = ("context.resourcePath", "context.httpMethod", "context.routeKey",
                        "$context.resourcePath", "$context.httpMethod", "$context.routeKey")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})


def audit(loaded: Loaded) -> list[Finding]:
    findings: list[Finding] = []
    for api in loaded.gateway.apis:
        for rule in (public_routes, public_unguarded, api_key_only, lambda_caching, shared_cache, jwt_settings,
                     pool_findings, logged_sources, resource_policy, mixed_kinds, pending_kinds, unused_authorizers):
            findings.extend(rule(loaded, api))
    findings.sort(key=lambda f: (-rank(f.severity), f.api, f.rule, f.target))
    return findings


def _cfg(loaded: Loaded, api: Api, route: Route) -> Any:
    return loaded.authorizer_config(api, route.authorizer.name) if route.authorizer.name else None


def public_routes(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for r in api.routes:
        if not r.public or r.api_key_required:
            continue
        catch_all = r.key.path == "$default" or r.key.path.endswith("+}")
        if catch_all or r.key.method in WRITE_METHODS:
            sev, why = "high", "a public catch-all or write route" if catch_all else "a public write route"
        elif r.key.method == "OPTIONS" or HEALTH_PATHS.match(r.key.path):
            sev, why = "info", "a public health check or CORS preflight"
        else:
            sev, why = "medium", "a public route"
        yield Finding(sev, "route.public", api.name, r.route_key, f"{why}: anyone may call it without credentials",
                      "name an authorizer, or keep `public: true` only if it is meant to be public")


def public_unguarded(loaded: Loaded, api: Api) -> Iterator[Finding]:
    """The seeds: a public route is legitimate only when "paired with WAF and rate limits"."""
    has_acl = api.web_acl.describe() != "none"
    stage_throttle = loaded.config.apis[api.name].throttle is not None
    for r in api.routes:
        if not r.public or r.key.method == "OPTIONS":
            continue
        rate_limited = api.web_acl.rate_limited or stage_throttle or r.throttle is not None
        if has_acl and rate_limited:
            continue
        missing = " or ".join(m for m, ok in (("Web ACL", has_acl), ("rate limit", rate_limited)) if not ok)
        sev = "info" if HEALTH_PATHS.match(r.key.path) else "low" if has_acl or rate_limited else "medium"
        yield Finding(sev, "route.public_unguarded", api.name, r.route_key,
                      f"a public route with no {missing} in front of it",
                      "attach a Web ACL (`web_acl:`, docs/web-acls.md) with a rate-based rule, or set `throttle:` "
                      "on the route or the API")


def api_key_only(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for r in api.routes:
        if r.public and r.api_key_required:
            yield Finding("high", "api_key.only_control", api.name, r.route_key,
                          "an API key is the only control: possession is authorization, and a leaked key works "
                          "until someone rotates it", "add an authorizer (a Lambda authorizer checking revocation, "
                          "IAM, or a JWT issuer); keep the key for the usage plan")


def _route_rate(api: Api, r: Route) -> float:
    rates = [t.rate for t in (r.throttle, getattr(api, "throttle", None)) if t is not None]
    return max(rates, default=0.0)


def lambda_caching(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for name, auth in api.authorizers.items():
        if auth.kind != "lambda":
            continue
        ttl = int(getattr(loaded.config.apis[api.name].authorizers[name], "result_ttl", 0) or 0)
        routes = [r for r in api.routes if r.authorizer is auth]
        if ttl == 0 and routes:
            busy = [r.route_key for r in routes if _route_rate(api, r) >= BUSY_RPS]
            yield Finding("high" if busy else "medium", "lambda.uncached", api.name, name,
                          "Lambda authorizer without result caching: one function call per request"
                          + (f" on busy routes ({', '.join(busy)})" if busy else ""),
                          "set result_ttl (e.g. 300) and return a policy that covers every route it serves")
        elif ttl > LONG_TTL:
            yield Finding("medium", "lambda.long_ttl", api.name, name,
                          f"results cached for {ttl} s: a revoked credential keeps working that long",
                          f"lower result_ttl (at most {LONG_TTL} s where revocation matters)")


def shared_cache(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for name, auth in api.authorizers.items():
        cfg = loaded.config.apis[api.name].authorizers[name]
        if auth.kind != "lambda" or not int(getattr(cfg, "result_ttl", 0) or 0):
            continue
        routes = [r.route_key for r in api.routes if r.authorizer is auth]
        sources = list(getattr(cfg, "identity_sources", []) or [])
        if len(routes) > 1 and not any(s in ROUTE_DISCRIMINATORS for s in sources):
            yield Finding("medium", "lambda.cache_shared", api.name, name,
                          f"one cached result serves {len(routes)} routes ({', '.join(routes)}): a policy that "
                          "allows only the first request's method ARN denies the others until the TTL ends "
                          "(the method-ARN cache trap)",
                          "return a policy covering every route (arn:...:{api_id}/{stage}/*), add "
                          "context.resourcePath (rest) / context.routeKey (http) to identity_sources, or result_ttl: 0")


def jwt_settings(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for name, auth in api.authorizers.items():
        cfg = loaded.config.apis[api.name].authorizers[name]
        if auth.kind == "jwt":
            issuers = [cfg, *(getattr(cfg, "issuers", None) or [])]
            if any(getattr(i, "issuer", None) and not getattr(i, "audiences", None) for i in issuers):
                yield Finding("high", "jwt.no_audience", api.name, name,
                              "JWT authorizer without an audience: any token of the issuer, minted for any "
                              "other service, is accepted", "set audiences: [your API's audience]")
        if auth.kind in ("jwt", "user_pool"):
            algs = [str(a) for a in (getattr(cfg, "algorithms", None) or [])]
            if any(a.upper().startswith("HS") for a in algs):
                yield Finding("high", "jwt.hs_algorithm", api.name, name,
                              f"HMAC algorithms allowed ({', '.join(algs)}): anyone holding the shared secret "
                              "can mint tokens, and key confusion attacks become possible",
                              "allow only asymmetric algorithms (RS256, ES256)")
        if auth.kind == "user_pool" and not getattr(cfg, "app_clients", None) and api.flavour == "rest":
            yield from _any_client(loaded, api, name, cfg)


def _any_client(loaded: Loaded, api: Api, name: str, cfg: Any) -> Iterator[Finding]:
    """A built-in pool with one client: that client is the only one there is, nothing to pin yet."""
    pool = builtin_pool(loaded, cfg)
    if pool is not None and len(pool.clients) < 2:
        return
    clients = f" ({', '.join(c.name for c in pool.clients.values())})" if pool is not None else ""
    yield Finding("low", "user_pool.any_client", api.name, name,
                  f"tokens of every app client of the pool{clients} are accepted",
                  "list app_clients to accept only yours")


def logged_sources(loaded: Loaded, api: Api) -> Iterator[Finding]:
    """Identity values that end up where logs keep them: query strings, reflected response headers."""
    for name in api.authorizers:
        cfg = loaded.config.apis[api.name].authorizers[name]
        for s in _sources(cfg):
            if s.split(".", 1)[0] in ("query", "querystring", "method.request.querystring", "$request.querystring"):
                yield Finding("medium", "identity_source.logged", api.name, name,
                              f"identity source {s} travels in the URL: proxies, the upstream and browsers log "
                              "query strings (Gatepost's access log does not)", "send the credential in a header")
    header_sources = {s.split(".", 1)[1].lower() for n in api.authorizers
                      for s in _sources(loaded.config.apis[api.name].authorizers[n]) if s.startswith("header.")}
    for rtype, spec in loaded.config.apis[api.name].gateway_responses.items():
        for header, value in spec.headers.items():
            if value.startswith("method.request.header.") and value.split(".")[-1].lower() in header_sources:
                yield Finding("high", "identity_source.logged", api.name, f"gateway_responses.{rtype}",
                              f"header {header} echoes the identity source {value} into error responses "
                              "(and every log that records them)", "remove the mapping")


def _sources(cfg: Any) -> list[str]:
    return [s for s in [*(getattr(cfg, "identity_sources", None) or []), getattr(cfg, "identity_source", None)] if s]


def policy_findings(api_name: str, policy: Mapping[str, Any] | None, has_iam_routes: bool) -> Iterator[Finding]:
    if not isinstance(policy, Mapping):
        return
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, Mapping) else statements
    for i, st in enumerate(statements):
        star = is_everyone(st.get("Principal"))
        if st.get("Effect") == "Allow" and star and not st.get("Condition") \
                and narrowed_by_allow_list(st, statements) is None:  # AWS's allow-list shape is fine
            yield Finding("high" if has_iam_routes else "medium", "policy.allow_star", api_name,
                          f"resource_policy.Statement[{i}]",
                          "the resource policy allows every principal without conditions"
                          + (": on IAM routes any AWS account's signed request is allowed" if has_iam_routes else ""),
                          "name the principals (accounts, roles) or add conditions (aws:SourceIp, aws:SourceVpce)")


def resource_policy(loaded: Loaded, api: Api) -> Iterator[Finding]:
    has_iam = any(r.authorizer.kind == "iam" for r in api.routes)
    yield from policy_findings(api.name, loaded.config.apis[api.name].resource_policy, has_iam)


def mixed_kinds(loaded: Loaded, api: Api) -> Iterator[Finding]:
    kinds = sorted({r.authorizer.kind for r in api.routes if not r.public})
    if len(kinds) > 1:
        yield Finding("low", "api.mixed_kinds", api.name, "(api)",
                      f"{len(kinds)} authorizer kinds on one API ({', '.join(kinds)}): fine when each caller "
                      "profile has its own routes, a sign of drift otherwise",
                      "check each route's authorizer matches its caller (`gatepost explain`)")


def pending_kinds(loaded: Loaded, api: Api) -> Iterator[Finding]:
    for name, auth in api.authorizers.items():
        if isinstance(auth, PendingAuthorizer):
            yield Finding("medium", "authorizer.unavailable", api.name, name,
                          f"this build cannot run {auth.kind} authorizers: its routes answer 500 to everyone",
                          "update Gatepost or choose another authorizer kind")


def unused_authorizers(loaded: Loaded, api: Api) -> Iterator[Finding]:
    used = {id(r.authorizer) for r in api.routes}
    for name, auth in api.authorizers.items():
        if id(auth) not in used:
            yield Finding("info", "authorizer.unused", api.name, name, "declared but used by no route",
                          "remove it, or name it on the route that should use it")


def render(findings: list[Finding]) -> str:
    if not findings:
        return "no findings\n"
    lines = []
    for f in findings:
        lines.append(f"{f.severity.upper():6}  {f.rule:24}  {f.api}  {f.target}")
        lines.append(f"        {f.message}")
        lines.append(f"        fix: {f.fix}")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines) + "\n"
