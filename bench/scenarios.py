"""Benchmark scenarios: one route kind each, all served by one gateway config in the same run.

A scenario names the route it adds to the bench API (and any authorizer it needs), the headers every
request carries, and optional steps: `setup` (once, after the config is written, before the gateway
starts: tokens, keys, helper processes) and `prepare` (right before the row is measured, with the URL:
SigV4 signatures, which stay valid for 5 minutes). `lua` is a wrk script for per-request variation.

Scenarios with a `gateway` label other than "" run in a second gateway process whose `state:` adds
`state` (the Redis counters row). Scenarios marked `compare` also run with the other worker counts
(bench/run.py --workers).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from context import Context

REPO = Path(__file__).resolve().parent.parent
API_ID = "bench"
REGION = "us-east-1"
ACCOUNT = "123456789012"
AUDIENCE = "bench.example.com"
HEADER_BYTES = 660  # the Authorization header value the JWT rows send (perf-baseline used a 642-byte token)
FRESH_TOKENS = 4000  # cycled through a 1,000-entry token cache: every request misses
SIGNED_REQUESTS = 2000  # distinct SigV4 signatures cycled by wrk
MIX_KEYS, MIX_HOT, MIX_HOT_SHARE = 1000, 20, 0.8  # issue 5 item 8: a realistic mix of identities
API_KEY = "BenchPartnerKey0123456789abcdefABCDEF0123"  # 40 letters and digits, imported into the catalog


@dataclass
class Scenario:
    name: str
    path: str
    method: str = "GET"
    routes: str = ""  # YAML list items added under apis.bench.routes
    authorizers: str = ""  # YAML mapping items added under apis.bench.authorizers
    top_level: str = ""  # YAML added at the top level (usage_plans, ...)
    headers: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Context, Scenario], None] | None = None
    prepare: Callable[[Context, Scenario, str], None] | None = None  # (ctx, scenario, base URL)
    lua: str | None = None  # a wrk script for per-request variation (fresh tokens, signatures)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # what `lua` cycles through
    note: str = ""
    compare: bool = False  # also measured with the other worker counts
    gateway: str = ""  # "" = the main gateway; another label = a second gateway process
    state: str = ""  # YAML flow-mapping items added to that gateway's `state:`
    counter: str | None = None  # a Lambda authorizer's function name: the row reports its invocations
    mix: str | None = None  # the TTL mix table's label ("TTL 300" / "TTL 0")


# ---- wrk Lua --------------------------------------------------------------------------------------------------

def lua_str(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def cycle_lua(requests: list[tuple[str, dict[str, str]]]) -> str:
    """wrk sends these requests in turn (one wrk thread: a strict cycle across all connections). The raw
    requests are formatted once in `init`: formatting per request costs wrk more than the gateway's answer."""
    rows = ",\n".join("{" + lua_str(path) + ", {" + ", ".join(f"[{lua_str(k)}] = {lua_str(v)}"
                                                             for k, v in headers.items()) + "}}"
                      for path, headers in requests)
    return (f"local specs = {{\n{rows}\n}}\nlocal reqs, i = {{}}, 0\n"
            "init = function(args)\n"
            "  for n, s in ipairs(specs) do reqs[n] = wrk.format(\"GET\", s[1], s[2]) end\nend\n"
            "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")


def mix_lua(path: str, tokens: list[str], hot: int, hot_share: float) -> str:
    """Each request's Authorization: from the `hot` first tokens with probability `hot_share`, else the rest
    (requests formatted once in `init`)."""
    items = ",\n".join(lua_str(t) for t in tokens)
    return (f"local tokens = {{\n{items}\n}}\nlocal reqs = {{}}\nlocal hot, share = {hot}, {hot_share}\n"
            "init = function(args)\n  math.randomseed(7)\n"
            f"  for n, t in ipairs(tokens) do reqs[n] = wrk.format(\"GET\", {lua_str(path)}, "
            "{[\"Authorization\"] = t}) end\nend\n"
            "request = function()\n"
            "  if math.random() < share then return reqs[math.random(hot)] end\n"
            "  return reqs[math.random(hot + 1, #reqs)]\nend\n")


# ---- shared set-up ------------------------------------------------------------------------------------------

def issuer_url(ctx: Context) -> str:
    return f"http://127.0.0.1:{ctx.port('issuer')}/bank"


@dataclass
class JwtMaterial:
    token: str  # one RS256 token; `Bearer <token>` is HEADER_BYTES long
    fresh: list[str]  # FRESH_TOKENS distinct tokens
    public_pem: Path  # for HAProxy's jwt_verify
    issuer: str


def jwt_material(ctx: Context) -> JwtMaterial:
    """The local issuer (a sidecar process serving discovery + JWKS) and tokens minted with its key."""
    def make() -> JwtMaterial:
        from cryptography.hazmat.primitives import serialization

        from gatepost.devtools.issuer import LocalIssuer

        base = f"http://127.0.0.1:{ctx.port('issuer')}"
        issuer = LocalIssuer("bank", base, keys_dir=ctx.tmp / "issuer-keys")  # writes bank.keys.json
        ctx.spawn("issuer", [sys.executable, "-m", "gatepost.devtools.issuer", "--port", str(ctx.port("issuer")),
                             "--issuer", "bank", "--keys-dir", str(ctx.tmp / "issuer-keys")], ctx.port("issuer"))
        token = padded_token(issuer)
        fresh = [issuer.mint(aud=AUDIENCE, sub=f"user-{i}", expires_in=7200) for i in range(FRESH_TOKENS)]
        pem = ctx.tmp / "bank-public.pem"
        pem.write_bytes(issuer.signing_key.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return JwtMaterial(token, fresh, pem, issuer.issuer)
    result: JwtMaterial = ctx.once("jwt", make)
    return result


def padded_token(issuer: Any) -> str:
    """A token whose `Bearer ...` header value is HEADER_BYTES long (a realistic IdP access token)."""
    pad = 0
    while True:
        token: str = issuer.mint(aud=AUDIENCE, sub="bench-user", scope="bench.read", expires_in=7200,
                                 extra={"pad": "x" * pad})
        size = len("Bearer " + token)
        if size >= HEADER_BYTES:
            return token
        pad += max(1, (HEADER_BYTES - size) * 3 // 4)


def setup_jwt(ctx: Context, sc: Scenario) -> None:
    m = jwt_material(ctx)
    if sc.lua == "fresh":
        sc.requests = [(sc.path, {"Authorization": f"Bearer {t}"}) for t in m.fresh]
        sc.lua = cycle_lua(sc.requests)
    else:
        sc.headers["Authorization"] = f"Bearer {m.token}"


def setup_api_key(ctx: Context, sc: Scenario) -> None:
    def make() -> None:
        assert ctx.config is not None
        subprocess.run([str(REPO / ".venv/bin/gatepost"), "keys", "import", "bench-partner", "--value", "-",
                        "--plan", "bench", "--config", str(ctx.config)], input=API_KEY.encode(), check=True,
                       capture_output=True)
    ctx.once("api-key", make)
    sc.headers["x-api-key"] = API_KEY


def setup_redis(ctx: Context, sc: Scenario) -> None:
    port = ctx.port("redis")
    ctx.once("redis", lambda: ctx.spawn("redis", [shutil.which("redis-server") or "redis-server", "--port", str(port),
                                                  "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                                  "--dir", str(ctx.tmp)], port))
    setup_api_key(ctx, sc)


def prepare_sigv4(ctx: Context, sc: Scenario, base: str) -> None:
    """Sign SIGNED_REQUESTS distinct requests with botocore (as an AWS SDK would), right before the row."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key = ctx.once("iam-caller", lambda: mint_iam_caller(ctx))
    signer = SigV4Auth(Credentials(key.access_key_id, key.secret_access_key, key.session_token), "execute-api",
                       REGION)
    signed = []
    for i in range(SIGNED_REQUESTS):
        req = AWSRequest(method="GET", url=f"{base}{sc.path}?n={i}")
        signer.add_auth(req)
        signed.append((f"{sc.path}?n={i}", {k: v for k, v in req.headers.items() if k.lower() != "host"}))
    sc.requests = signed
    sc.lua = cycle_lua(signed)


def mint_iam_caller(ctx: Context) -> Any:
    from gatepost.iam.bench import mint_caller
    from gatepost.stores.url import open_catalog

    assert ctx.config is not None
    catalog = open_catalog("sqlite:///bench.db", ctx.config.parent)
    key = mint_caller(catalog, ctx.config.parent, account_id=ACCOUNT, name="bench-caller",
                      resource=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/prod/GET/sigv4")
    time.sleep(1.5)  # a running gateway's catalog watcher picks the key up within a second
    return key


LAMBDA_AUTHORIZER = '''"""Bench TOKEN authorizer: allows any `Bearer ...` token for the whole stage; counts its
invocations in a shared memory map (no syscall, no lock held across I/O) so the bench can read them from outside."""
import mmap
import os
import threading

SLOTS = {SLOTS}
_fd = os.open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda-counts.bin"), os.O_RDWR)
_counts = memoryview(mmap.mmap(_fd, 8 * len(SLOTS))).cast("Q")
_lock = threading.Lock()


def handler(event, context):
    with _lock:
        _counts[SLOTS[context.function_name]] += 1
    token = event["authorizationToken"]
    if not token.startswith("Bearer "):
        raise Exception("Unauthorized")
    arn, stage = event["methodArn"].split("/")[:2]
    return {"principalId": "user-" + token[-6:],
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*"}]},
            "context": {"tier": "gold", "tenantId": "bench"}}
'''

LAMBDA_FUNCTIONS = ("bench-lam_cached", "bench-lam_uncached", "bench-lam_mix300", "bench-lam_mix0")


def counts_file(ctx: Context) -> Path:
    return ctx.tmp / "lambda-counts.bin"


def read_invocations(ctx: Context, function: str) -> int:
    data = counts_file(ctx).read_bytes()
    i = LAMBDA_FUNCTIONS.index(function)
    return int.from_bytes(data[8 * i:8 * i + 8], sys.byteorder)


def setup_lambda(ctx: Context, sc: Scenario) -> None:
    def make() -> None:
        counts_file(ctx).write_bytes(bytes(8 * len(LAMBDA_FUNCTIONS)))
        slots = {name: i for i, name in enumerate(LAMBDA_FUNCTIONS)}
        (ctx.tmp / "bench_auth.py").write_text(LAMBDA_AUTHORIZER.replace("{SLOTS}", repr(slots)))
        (ctx.tmp / "bench_fn.py").write_text(
            "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    ctx.once("lambda", make)
    if sc.mix:
        tokens = [f"Bearer bench-key-{i:04d}-{random.Random(i).getrandbits(64):016x}" for i in range(MIX_KEYS)]
        sc.lua = mix_lua(sc.path, tokens, MIX_HOT, MIX_HOT_SHARE)
    else:
        sc.headers["Authorization"] = "Bearer bench-lambda-token-0001"


# ---- the scenarios --------------------------------------------------------------------------------------------

def public(ctx: Context) -> Scenario:
    return Scenario("gatepost public route", "/public", routes='- {route: "GET /public", public: true}',
                    note="no authorizer: routing, propagation, proxying", compare=True)


def public_bearer(ctx: Context) -> Scenario:
    return Scenario("gatepost public route + 660 B bearer header", "/public", setup=setup_jwt,
                    note="same route, carrying the JWT rows' Authorization header (not checked): their baseline")


def mock(ctx: Context) -> Scenario:
    return Scenario("gatepost mock route (no upstream)", "/mock",
                    routes='- {route: "GET /mock", public: true, integration: {mock: {status: 200, body: ok}}}',
                    note="server + pipeline only: what proxying adds is the public row minus this one",
                    compare=True)


def jwt_authorizer(name: str, ctx: Context, cache: int | None = None) -> str:
    size = f", token_cache_size: {cache}" if cache is not None else ""
    return f'{name}: {{type: jwt, issuer: "{issuer_url(ctx)}", audiences: [{AUDIENCE}]{size}}}'


def jwt_repeated(ctx: Context) -> Scenario:
    return Scenario("gatepost JWT RS256, repeated token", "/jwt", setup=setup_jwt,
                    routes='- {route: "GET /jwt", authorizer: bank}', authorizers=jwt_authorizer("bank", ctx),
                    note="one token: verified once, then the verified-token cache (hit)")


def jwt_fresh(ctx: Context) -> Scenario:
    return Scenario("gatepost JWT RS256, fresh token per request", "/jwt-fresh", setup=setup_jwt, lua="fresh",
                    routes='- {route: "GET /jwt-fresh", authorizer: bank_fresh}',
                    authorizers=jwt_authorizer("bank_fresh", ctx, cache=1000),
                    note=f"wrk cycles {FRESH_TOKENS:,} pre-minted tokens through a 1,000-entry cache: "
                         "every request verifies the signature (miss)")


def sigv4(ctx: Context) -> Scenario:
    return Scenario("gatepost SigV4 (IAM)", "/sigv4", prepare=prepare_sigv4,
                    routes='- {route: "GET /sigv4", authorizer: iam}', authorizers="iam: {type: iam}",
                    note=f"botocore-signed; wrk cycles {SIGNED_REQUESTS:,} distinct signatures "
                         "(signing key cached, every signature verified) + identity policy")


USAGE_PLAN = f"""
usage_plans:
  bench:
    api_stages: [{{api: {API_ID}}}]
    throttle: {{rate: 1000000, burst: 1000000}}
    quota: {{limit: 1000000000, period: DAY}}
"""


def api_key_memory(ctx: Context) -> Scenario:
    return Scenario("gatepost API key + usage plan (memory)", "/apikey", setup=setup_api_key, top_level=USAGE_PLAN,
                    routes='- {route: "GET /apikey", public: true, api_key_required: true}',
                    note="x-api-key: key lookup, plan token bucket + daily quota in process")


def api_key_redis(ctx: Context) -> Scenario:
    return Scenario("gatepost API key + usage plan (Redis)", "/apikey", setup=setup_redis, top_level=USAGE_PLAN,
                    routes='- {route: "GET /apikey", public: true, api_key_required: true}',
                    gateway="redis", state=f'counters: "redis://127.0.0.1:{ctx.port("redis")}/0"',
                    note="same route, a second gateway with state.counters on a local Redis (one Lua script "
                         "call per batch of concurrent requests)")


def lambda_authorizer(name: str, ttl: int) -> str:
    return f'{name}: {{type: lambda, kind: token, function: "bench_auth:handler", result_ttl: {ttl}}}'


def lambda_cached(ctx: Context) -> Scenario:
    return Scenario("gatepost Lambda TOKEN authorizer, TTL 300", "/lambda-cached", setup=setup_lambda,
                    routes='- {route: "GET /lambda-cached", authorizer: lam_cached}',
                    authorizers=lambda_authorizer("lam_cached", 300), counter="bench-lam_cached",
                    note="Python function (sync, thread pool); one token: cached result")


def lambda_uncached(ctx: Context) -> Scenario:
    return Scenario("gatepost Lambda TOKEN authorizer, TTL 0", "/lambda-uncached", setup=setup_lambda,
                    routes='- {route: "GET /lambda-uncached", authorizer: lam_uncached}',
                    authorizers=lambda_authorizer("lam_uncached", 0), counter="bench-lam_uncached",
                    note="the same function invoked on every request")


def lambda_mix(ttl: int) -> Callable[[Context], Scenario]:
    def make(ctx: Context) -> Scenario:
        name = f"lam_mix{ttl}"
        return Scenario(f"gatepost Lambda TOKEN, {MIX_KEYS:,} keys mix, TTL {ttl}", f"/lambda-mix-{ttl}",
                        setup=setup_lambda, mix=f"TTL {ttl}",
                        routes=f'- {{route: "GET /lambda-mix-{ttl}", authorizer: {name}}}',
                        authorizers=lambda_authorizer(name, ttl), counter=f"bench-{name}",
                        note=f"{MIX_HOT_SHARE:.0%} of requests from {MIX_HOT} hot keys, the rest from "
                             f"{MIX_KEYS - MIX_HOT}; invocations counted from a cold cache")
    return make


def lambda_backed(ctx: Context) -> Scenario:
    return Scenario("gatepost Lambda-proxy route (Python handler)", "/fn", setup=setup_lambda,
                    routes='- {route: "GET /fn", public: true, integration: {type: lambda, '
                           'handler: "bench_fn:handler", concurrency: 64}}',
                    note="no upstream: a sync handler (64 threads) answers 200 ok from a REST payload 1.0 event; the "
                         "peers' open route runs a function too")


def lambda_token_and_function(ctx: Context) -> Scenario:
    return Scenario("gatepost Lambda TOKEN + Lambda-proxy (TTL 300)", "/fn-authd", setup=setup_lambda,
                    routes='- {route: "GET /fn-authd", authorizer: lam_cached, integration: {type: lambda, '
                           'handler: "bench_fn:handler", concurrency: 64}}',
                    authorizers=lambda_authorizer("lam_cached", 300),
                    note="the TTL 300 authorizer in front of the Python handler: serverless-offline's authorizer "
                         "row has a function behind it too")


def api_key_and_function(ctx: Context) -> Scenario:
    def setup(ctx: Context, sc: Scenario) -> None:
        setup_lambda(ctx, sc)  # writes bench_fn.py
        sc.headers.pop("Authorization", None)
        setup_api_key(ctx, sc)

    return Scenario("gatepost API key + Lambda-proxy", "/fn-keyed", setup=setup, top_level=USAGE_PLAN,
                    routes='- {route: "GET /fn-keyed", public: true, api_key_required: true, integration: '
                           '{type: lambda, handler: "bench_fn:handler", concurrency: 64}}',
                    note="API key + plan (memory) in front of the Python handler, as serverless-offline's key row")


SCENARIOS: list[Callable[[Context], Scenario]] = [
    public,
    public_bearer,
    mock,
    jwt_repeated,
    jwt_fresh,
    sigv4,
    api_key_memory,
    lambda_cached,
    lambda_uncached,
    lambda_mix(300),
    lambda_mix(0),
    lambda_backed,
    lambda_token_and_function,
    api_key_and_function,
    api_key_redis,
]
