"""The peers, measured in the same run when installed (issue 10 item 3): serverless-offline and MiniStack
serving the same scenarios as Gatepost: an open route, a Lambda TOKEN authorizer with TTL 300, an API key.

    cd bench/.peers && npm install serverless@3 serverless-offline@13      # Node 18+; bench/.peers is git-ignored
    python3 -m venv bench/.peers/ministack && bench/.peers/ministack/bin/pip install ministack
        # its own venv: ministack 1.5 pins botocore==1.43.106, which would downgrade the gateway's (boto3 1.44)

Each peer runs pinned to core 0 (the gateway's core), one process, as its own docs start it; its functions
are as small as the bench's own (a Node handler answering "ok", a Python TOKEN authorizer allowing the stage).
CPU per request counts the peer and every process it starts (Lambda workers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from context import Context
from procs import start, stop, taskset

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
API_KEY = "BenchPeerKey0123456789abcdefABCDEF012345"
TOKEN = "Bearer bench-lambda-token-0001"

Row = tuple[str, str, int, dict[str, str], str, int | None]  # name, url, pid, headers, note, connections

# (peer row prefix, the Gatepost row it is compared with, the comparison's label)
PAIRS = [
    ("serverless-offline open route", "gatepost Lambda-proxy route", "open route, Lambda-backed"),
    ("serverless-offline TOKEN authorizer", "gatepost Lambda TOKEN + Lambda-proxy",
     "TOKEN authorizer TTL 300, Lambda-backed"),
    ("serverless-offline API key", "gatepost API key + Lambda-proxy", "API key, Lambda-backed"),
    ("MiniStack open route", "gatepost public route", "open route, HTTP backend"),
    ("MiniStack Lambda-proxy route", "gatepost Lambda-proxy route", "open route, Lambda-backed"),
    ("MiniStack TOKEN authorizer", "gatepost Lambda TOKEN authorizer, TTL 300",
     "TOKEN authorizer TTL 300, HTTP backend"),
    ("MiniStack API key", "gatepost API key + usage plan (memory)", "API key + usage plan, HTTP backend"),
]


@dataclass
class Peer:
    name: str
    proc: subprocess.Popen[bytes] | None = None
    made: list[Row] = field(default_factory=list)

    def rows(self) -> list[Row]:
        return self.made

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


def each(ctx: Context, up_port: int) -> Iterator[Peer]:
    """Each installed peer in turn: started, handed to the caller (who measures its rows), then stopped."""
    for name, starter in (("serverless-offline", serverless_offline), ("MiniStack", ministack)):
        try:
            peer = starter(ctx, up_port)
        except Exception as exc:  # a peer that cannot run here is reported, not fatal
            print(f"skipped: {name}: {exc}", file=sys.stderr)
            continue
        if peer is None:
            continue
        try:
            yield peer
        finally:
            peer.close()


def comparisons(results: list[Any]) -> list[tuple[str, Any, Any]]:
    def find(prefix: str) -> Any:
        return next((r for r in results if r.name.startswith(prefix)), None)

    out = []
    for peer_prefix, ours_prefix, label in PAIRS:
        peer, ours = find(peer_prefix), find(ours_prefix)
        if peer is not None and ours is not None and peer.rps > 0:
            out.append((label, peer, ours))
    return out


# ---- serverless-offline -------------------------------------------------------------------------------------

SLS_YML = """
service: gatepost-bench
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  region: us-east-1
  stage: prod
  apiGateway:
    apiKeys:
      - name: bench
        value: {api_key}
functions:
  tokenAuth:
    handler: handler.auth
  open:
    handler: handler.ok
    events: [{{http: {{path: open, method: get}}}}]
  authd:
    handler: handler.ok
    events:
      - http:
          path: authd
          method: get
          authorizer: {{name: tokenAuth, type: token, resultTtlInSeconds: 300,
                        identitySource: method.request.header.Authorization}}
  keyed:
    handler: handler.ok
    events: [{{http: {{path: keyed, method: get, private: true}}}}]
plugins: [serverless-offline]
custom:
  serverless-offline: {{httpPort: {http_port}, lambdaPort: {lambda_port}, noPrependStageInUrl: true,
                        host: 127.0.0.1, noTimeout: true}}
"""

SLS_HANDLER = """
exports.ok = async () => ({ statusCode: 200, body: "ok" });
exports.auth = async (event) => {
  if (!event.authorizationToken || !event.authorizationToken.startsWith("Bearer ")) throw new Error("Unauthorized");
  const [arn, stage] = event.methodArn.split("/");
  return { principalId: "user", context: { tier: "gold" },
           policyDocument: { Version: "2012-10-17", Statement: [
             { Action: "execute-api:Invoke", Effect: "Allow", Resource: `${arn}/${stage}/*` }] } };
};
"""


def serverless_offline(ctx: Context, up_port: int) -> Peer | None:
    sls = PEERS / "node_modules" / ".bin" / "serverless"
    if not sls.exists() or not shutil.which("node"):
        print("skipped: serverless-offline (cd bench/.peers && npm install serverless@3 serverless-offline@13)",
              file=sys.stderr)
        return None
    service = PEERS / "sls-service"  # inside bench/.peers so the plugin resolves from its node_modules
    service.mkdir(exist_ok=True)
    http_port, lambda_port = ctx.port("sls-http"), ctx.port("sls-lambda")
    (service / "serverless.yml").write_text(SLS_YML.format(api_key=API_KEY, http_port=http_port,
                                                           lambda_port=lambda_port))
    (service / "handler.js").write_text(SLS_HANDLER)
    (service / "package.json").write_text('{"name": "gatepost-bench-service", "private": true}\n')
    env = {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "SLS_DEPRECATION_DISABLE": "*",
           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    proc = subprocess.Popen([*taskset(0), str(sls), "offline", "start"], cwd=service, env={**_env(), **env},
                            stdout=(ctx.tmp / "serverless-offline.log").open("wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    peer = Peer("serverless-offline", proc)
    try:
        _wait_http(f"http://127.0.0.1:{http_port}/open", {}, 90, proc, ctx.tmp / "serverless-offline.log")
    except Exception:
        peer.close()
        raise
    base = f"http://127.0.0.1:{http_port}"
    note = "serverless-offline 13 (serverless 3), Node 20 handler"
    peer.made = [
        ("serverless-offline open route", f"{base}/open", proc.pid, {}, f"{note} answering ok", None),
        ("serverless-offline TOKEN authorizer, TTL 300", f"{base}/authd", proc.pid, {"Authorization": TOKEN},
         f"{note}; Node TOKEN authorizer, resultTtlInSeconds 300", None),
        ("serverless-offline API key", f"{base}/keyed", proc.pid, {"x-api-key": API_KEY},
         f"{note}; private: true (x-api-key)", None),
    ]
    check_enforced(peer.made)
    return peer


# ---- MiniStack -------------------------------------------------------------------------------------------

MS_AUTH = '''
def handler(event, context):
    token = event["authorizationToken"]
    if not token.startswith("Bearer "):
        raise Exception("Unauthorized")
    arn, stage = event["methodArn"].split("/")[:2]
    return {"principalId": "user", "context": {"tier": "gold"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*"}]}}
'''
MS_FN = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def ministack(ctx: Context, up_port: int) -> Peer | None:
    python = PEERS / "ministack" / "bin" / "python"
    if not python.exists():
        print("skipped: MiniStack (python3 -m venv bench/.peers/ministack && "
              "bench/.peers/ministack/bin/pip install ministack)", file=sys.stderr)
        return None
    port = ctx.port("ministack")
    env = {"GATEWAY_PORT": str(port), "MINISTACK_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "PERSIST_STATE": "0",
           "TMPDIR": str(ctx.tmp)}  # its Lambda code folders go to the bench's temp dir, removed at the end
    proc = start([*taskset(0), str(python), "-m", "ministack"], ctx.tmp, port, env={**_env(), **env},
                  name="ministack", timeout=60)
    peer = Peer("MiniStack", proc)
    try:
        peer.made = _ministack_setup(ctx, port, up_port, proc.pid)
        check_enforced(peer.made)
    except Exception:
        peer.close()
        raise
    return peer


def _ministack_setup(ctx: Context, port: int, up_port: int, pid: int) -> list[Row]:
    import boto3

    kw: dict[str, Any] = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1",
                          "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    lam, apigw = boto3.client("lambda", **kw), boto3.client("apigateway", **kw)
    arns = {name: lam.create_function(FunctionName=f"bench-{name}", Runtime="python3.11", Handler="main.handler",
                                      Role="arn:aws:iam::000000000000:role/bench",
                                      Code={"ZipFile": _zip(ctx.tmp / f"{name}.zip", code)})["FunctionArn"]
            for name, code in (("auth", MS_AUTH), ("fn", MS_FN))}
    invocation = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"
    api = apigw.create_rest_api(name="bench")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")
    auth = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerResultTtlInSeconds=300,
                                   identitySource="method.request.header.Authorization",
                                   authorizerUri=invocation.format(arns["auth"]))["id"]
    upstream = f"http://127.0.0.1:{up_port}/"
    for path, extra, integration in (
            ("open", {"authorizationType": "NONE"}, ("HTTP_PROXY", upstream)),
            ("fn", {"authorizationType": "NONE"}, ("AWS_PROXY", invocation.format(arns["fn"]))),
            ("authd", {"authorizationType": "CUSTOM", "authorizerId": auth}, ("HTTP_PROXY", upstream)),
            ("keyed", {"authorizationType": "NONE", "apiKeyRequired": True}, ("HTTP_PROXY", upstream))):
        res = apigw.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
        apigw.put_method(restApiId=api, resourceId=res, httpMethod="GET", **extra)
        apigw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type=integration[0],
                              integrationHttpMethod="GET" if integration[0] == "HTTP_PROXY" else "POST",
                              uri=integration[1])
    apigw.create_deployment(restApiId=api, stageName="prod")
    key = apigw.create_api_key(name="bench", enabled=True, value=API_KEY)["id"]
    plan = apigw.create_usage_plan(name="bench", apiStages=[{"apiId": api, "stage": "prod"}],
                                   throttle={"rateLimit": 1e6, "burstLimit": 1000000},
                                   quota={"limit": 1000000000, "period": "DAY"})["id"]
    apigw.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    base = f"http://127.0.0.1:{port}/_aws/execute-api/{api}/prod"
    for path, headers in (("open", {}), ("fn", {}), ("authd", {"Authorization": TOKEN}),
                          ("keyed", {"x-api-key": API_KEY})):
        _wait_http(f"{base}/{path}", headers, 30)
    note = "MiniStack 1.5 (Python, hypercorn), one process"
    return [
        ("MiniStack open route", f"{base}/open", pid, {}, f"{note}; HTTP_PROXY to the same upstream", None),
        ("MiniStack Lambda-proxy route (c=4)", f"{base}/fn", pid, {},
         f"{note}; AWS_PROXY Python function; at c=4: at c=50 its Lambda workers exit ('Worker process exited "
         "immediately') and no request completes", 4),
        ("MiniStack TOKEN authorizer, TTL 300", f"{base}/authd", pid, {"Authorization": TOKEN},
         f"{note}; Python TOKEN authorizer, authorizerResultTtlInSeconds 300; HTTP_PROXY", None),
        ("MiniStack API key + usage plan", f"{base}/keyed", pid, {"x-api-key": API_KEY},
         f"{note}; apiKeyRequired, usage plan; HTTP_PROXY", None),
    ]


# ---- helpers ---------------------------------------------------------------------------------------------

def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV"))}


def _zip(path: Path, code: str) -> bytes:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("main.py", code)
    return path.read_bytes()


def _status(url: str, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def check_enforced(rows: list[Row]) -> None:
    """A peer's authorizer and key rows must refuse what they should, or their figures mean nothing."""
    for name, url, _, headers, _, _ in rows:
        if "Authorization" in headers:
            got = (_status(url, {}), _status(url, {"Authorization": "Basic nope"}))
            if got[0] != 401 or got[1] not in (401, 403):
                raise RuntimeError(f"{name}: no token -> {got[0]}, wrong token -> {got[1]} (want 401, 401/403)")
        if "x-api-key" in headers:
            got = (_status(url, {}), _status(url, {"x-api-key": "WrongKey0123456789abcdefABCDEF0123456789"}))
            if got != (403, 403):
                raise RuntimeError(f"{name}: no key / wrong key -> {got} (want 403, 403)")


def _wait_http(url: str, headers: dict[str, str], timeout: float, proc: subprocess.Popen[bytes] | None = None,
               log: Path | None = None) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exited: {log.read_text(errors='replace')[-1500:] if log else ''}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            last = f"{exc.code} {exc.read()[:300]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise TimeoutError(f"{url}: {last}")


if __name__ == "__main__":  # start both peers, print their rows' first answers, stop them
    import tempfile

    from references import upstream as start_upstream

    with tempfile.TemporaryDirectory() as t:
        c = Context(Path(t))
        up, up_port, _ = start_upstream(c.tmp)
        try:
            for p in each(c, up_port):
                print(p.name, json.dumps([r[:2] for r in p.rows()]))
        finally:
            stop(up)
            c.close()
